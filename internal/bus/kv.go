package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// State is a JSON document kept under one key of a KV bucket: a checkpoint or a progress mark.
type State struct {
	kv jetstream.KeyValue
}

// OpenState opens the bucket that holds states.
func (b *Bus) OpenState(ctx context.Context, bucket string) (State, error) {
	kv, err := b.JS.KeyValue(ctx, bucket)
	if err != nil {
		return State{}, fmt.Errorf("bus: bucket %s: %w", bucket, err)
	}
	return State{kv: kv}, nil
}

// Load reads key into v; found is false when the key was never stored.
func (s State) Load(ctx context.Context, key string, v any) (found bool, err error) {
	// Retried: on a cluster a bucket just created, or whose leader is being elected, has no
	// responders for a moment.
	var entry jetstream.KeyValueEntry
	err = retry(ctx, func(ctx context.Context) error {
		var err error
		entry, err = s.kv.Get(ctx, Key(key))
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bus: load %s: %w", key, err)
	}
	if err := json.Unmarshal(entry.Value(), v); err != nil {
		return false, fmt.Errorf("bus: load %s: %w", key, err)
	}
	return true, nil
}

// Store writes v under key.
func (s State) Store(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bus: store %s: %w", key, err)
	}
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := s.kv.Put(ctx, Key(key), data)
		return err
	}); err != nil {
		return fmt.Errorf("bus: store %s: %w", key, err)
	}
	return nil
}

// Key turns any text into a valid KV key.
func Key(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '-' || c == '_' || c == '=' || c == '.' || c == '/' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
