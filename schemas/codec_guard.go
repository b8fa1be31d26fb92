package schemas

import (
	"encoding/binary"
	"fmt"
)

// What Codec.DecodeAppend checks before arrow-go reads a stream. arrow-go's flatbuffer readers
// follow offsets unchecked: a read outside the buffer is a panic, which DecodeAppend recovers,
// but a vector's claimed length sizes a slice (the fields of a schema, a message's or field's
// key-value metadata, a field's children, a union's type ids), so four corrupt bytes can ask
// for hundreds of gigabytes: a fatal out-of-memory error that no recover catches. A cycle of
// child fields makes its schema reader recurse until the stack overflows, which is fatal too.

// Arrow IPC Message.header types.
const (
	ipcSchemaMessage     = 1
	ipcDictionaryMessage = 2
	ipcRecordMessage     = 3
)

// Arrow Field.type_type of a union, whose type ids arrow-go reads into a slice.
const ipcUnionType = 14

// guardMaxDepth bounds how deeply schema fields nest (arrow-go's own limit for arrays is 64).
const guardMaxDepth = 64

// guardStream walks the encapsulated messages of an IPC stream (an optional 0xFFFFFFFF, a
// 32-bit metadata length, a flatbuffer Message, then its body) as arrow-go's message reader
// does, and refuses any message whose flatbuffer vectors, those arrow-go allocates by, do not
// fit in it.
func guardStream(data []byte) error {
	for pos := 0; pos < len(data); {
		if len(data)-pos < 4 {
			return fmt.Errorf("truncated message at byte %d", pos)
		}
		size := int(int32(binary.LittleEndian.Uint32(data[pos:])))
		pos += 4
		if size == -1 { // the continuation marker, then the length
			if len(data)-pos < 4 {
				return fmt.Errorf("truncated message at byte %d", pos)
			}
			size = int(int32(binary.LittleEndian.Uint32(data[pos:])))
			pos += 4
		}
		if size == 0 { // end of stream
			return nil
		}
		if size < 4 || size > len(data)-pos {
			return fmt.Errorf("message metadata of %d bytes at byte %d, %d left", size, pos, len(data)-pos)
		}
		bodyLen, err := guardMessage(msgBuf(data[pos : pos+size]))
		if err != nil {
			return fmt.Errorf("message at byte %d: %w", pos, err)
		}
		pos += size
		if bodyLen < 0 || bodyLen > int64(len(data)-pos) {
			return fmt.Errorf("message body of %d bytes at byte %d, %d left", bodyLen, pos, len(data)-pos)
		}
		pos += int(bodyLen)
	}
	return nil
}

// guardMessage checks one Message table and returns its body length.
func guardMessage(meta msgBuf) (int64, error) {
	root, err := meta.u32(0)
	if err != nil {
		return 0, err
	}
	msg, err := meta.table(root)
	if err != nil {
		return 0, err
	}
	if _, _, err := msg.vector(4, 4); err != nil { // custom_metadata
		return 0, fmt.Errorf("metadata: %w", err)
	}
	bodyLen, err := msg.int64(3)
	if err != nil {
		return 0, err
	}
	kind, err := msg.uint8(1)
	if err != nil {
		return 0, err
	}
	switch kind {
	case ipcDictionaryMessage, ipcRecordMessage:
		return bodyLen, guardBatch(msg, kind)
	case ipcSchemaMessage:
	default:
		return bodyLen, nil // arrow-go refuses it
	}
	schema, ok, err := msg.child(2)
	if err != nil || !ok {
		return 0, fmt.Errorf("schema message without a schema: %w", err)
	}
	if _, _, err := schema.vector(2, 4); err != nil { // custom_metadata
		return 0, fmt.Errorf("schema metadata: %w", err)
	}
	fields := 0
	return bodyLen, guardFields(schema, 1, 0, &fields)
}

// guardBatch refuses a record or dictionary batch compressed otherwise than with LZ4, which is
// what Encode writes: arrow-go decodes zstd with the library's defaults (a window of up to
// 512 MiB, allocated outside the decode's budget, and decoder goroutines).
func guardBatch(msg msgTable, kind uint8) error {
	batch, ok, err := msg.child(2)
	if err != nil || !ok {
		return fmt.Errorf("batch message without a batch: %w", err)
	}
	if kind == ipcDictionaryMessage {
		if batch, ok, err = batch.child(1); err != nil || !ok {
			return fmt.Errorf("dictionary batch without data: %w", err)
		}
	}
	compression, ok, err := batch.child(3)
	if err != nil || !ok {
		return err
	}
	codec, err := compression.uint8(0)
	if err == nil && codec != 0 { // 0: LZ4_FRAME
		err = fmt.Errorf("batch compressed with codec %d, not LZ4", codec)
	}
	return err
}

// guardFields checks the vector of Field tables in slot and, recursively, their children: no
// deeper than guardMaxDepth, and no more fields in all than the message has room for (so a
// child vector pointing back at an ancestor ends here).
func guardFields(t msgTable, slot, depth int, seen *int) error {
	if depth > guardMaxDepth {
		return fmt.Errorf("fields nested deeper than %d", guardMaxDepth)
	}
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return fmt.Errorf("fields: %w", err)
	}
	for i := range n {
		if *seen++; *seen > len(t.buf)/8 {
			return fmt.Errorf("more fields than %d bytes of metadata can hold", len(t.buf))
		}
		at := start + 4*i
		off, _ := t.buf.u32(at) // inside the vector, which vector checked
		field, err := t.buf.table(at + off)
		if err != nil {
			return fmt.Errorf("field %d: %w", i, err)
		}
		if _, _, err := field.vector(6, 4); err != nil {
			return fmt.Errorf("field %d metadata: %w", i, err)
		}
		if kind, err := field.uint8(2); err != nil {
			return err
		} else if kind == ipcUnionType {
			union, ok, err := field.child(3)
			if err != nil {
				return err
			}
			if ok {
				if _, _, err := union.vector(1, 4); err != nil {
					return fmt.Errorf("field %d union type ids: %w", i, err)
				}
			}
		}
		if err := guardFields(field, 5, depth+1, seen); err != nil {
			return fmt.Errorf("field %d: %w", i, err)
		}
	}
	return nil
}

// msgBuf is a flatbuffer read with every offset checked, in the arithmetic of the flatbuffers
// Go runtime arrow-go uses, so that what it accepts is what arrow-go will follow.
type msgBuf []byte

// msgTable is a table of a msgBuf: where it is, where its vtable is, and the vtable's size.
type msgTable struct {
	buf         msgBuf
	pos, vt, vn int
}

func (b msgBuf) u32(at int) (int, error) {
	if at < 0 || at > len(b)-4 {
		return 0, fmt.Errorf("offset %d outside %d bytes of metadata", at, len(b))
	}
	return int(binary.LittleEndian.Uint32(b[at:])), nil
}

func (b msgBuf) table(pos int) (msgTable, error) {
	rel, err := b.u32(pos)
	if err != nil {
		return msgTable{}, err
	}
	vt := pos - int(int32(rel))
	if vt < 0 || vt > len(b)-4 {
		return msgTable{}, fmt.Errorf("vtable at %d outside %d bytes of metadata", vt, len(b))
	}
	return msgTable{buf: b, pos: pos, vt: vt, vn: int(binary.LittleEndian.Uint16(b[vt:]))}, nil
}

// field returns where the value of slot i is, width bytes of it inside the buffer, or 0 when
// the table leaves the slot out.
func (t msgTable) field(i, width int) (int, error) {
	entry := t.vt + 4 + 2*i
	if 4+2*i >= t.vn {
		return 0, nil
	}
	if entry > len(t.buf)-2 {
		return 0, fmt.Errorf("vtable entry %d outside %d bytes of metadata", i, len(t.buf))
	}
	off := int(binary.LittleEndian.Uint16(t.buf[entry:]))
	if off == 0 {
		return 0, nil
	}
	at := t.pos + off
	if at > len(t.buf)-width {
		return 0, fmt.Errorf("field %d at %d outside %d bytes of metadata", i, at, len(t.buf))
	}
	return at, nil
}

func (t msgTable) int64(i int) (int64, error) {
	at, err := t.field(i, 8)
	if at == 0 {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(t.buf[at:])), nil
}

func (t msgTable) uint8(i int) (uint8, error) {
	at, err := t.field(i, 1)
	if at == 0 {
		return 0, err
	}
	return t.buf[at], nil
}

// ref follows the offset in slot i; 0 when the slot is absent.
func (t msgTable) ref(i int) (int, error) {
	at, err := t.field(i, 4)
	if at == 0 {
		return 0, err
	}
	off, _ := t.buf.u32(at)
	return at + off, nil
}

// child is the table slot i points at.
func (t msgTable) child(i int) (msgTable, bool, error) {
	at, err := t.ref(i)
	if at == 0 {
		return msgTable{}, false, err
	}
	sub, err := t.buf.table(at)
	return sub, err == nil, err
}

// vector returns where the elements of the vector in slot i start and how many there are,
// refusing one whose elements, of elem bytes, do not fit in the buffer.
func (t msgTable) vector(i, elem int) (start, n int, err error) {
	at, err := t.ref(i)
	if at == 0 {
		return 0, 0, err
	}
	if n, err = t.buf.u32(at); err != nil {
		return 0, 0, err
	}
	if n > (len(t.buf)-at-4)/elem {
		return 0, 0, fmt.Errorf("vector of %d elements at %d of %d bytes of metadata", n, at, len(t.buf))
	}
	return at + 4, n, nil
}
