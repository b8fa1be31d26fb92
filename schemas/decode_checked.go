package schemas

// DecodeChecked is Decode, which checks any bytes itself now (codec_guard.go).
//
// Deprecated: use Decode; this remains until its callers (rollout) switch.
func (c *Codec[T]) DecodeChecked(data []byte) ([]T, error) { return c.Decode(data) }
