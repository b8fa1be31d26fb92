package trainer

// Model is a transformer's architecture and weights, with the version of the tokenizer its
// token ids come from.
type Model struct {
	Config    Config
	Params    *Params
	Tokenizer string
}

// New initialises a model's weights from a seed.
func New(c Config, seed uint64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Model{Config: c, Params: newParams(c, seed)}, nil
}
