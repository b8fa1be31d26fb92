package trainer

import (
	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/schemas"
)

// natsMsg builds a pair batch message as the featurize stage publishes it.
type natsMsg struct {
	subject string
	data    []byte
}

func (m *natsMsg) build() *nats.Msg {
	msg := nats.NewMsg(m.subject)
	msg.Data = m.data
	msg.Header.Set(schemas.HeaderSchema, schemas.PairSchema)
	return msg
}
