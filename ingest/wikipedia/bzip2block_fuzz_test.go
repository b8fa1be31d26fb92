package wikipedia

import (
	"encoding/hex"
	"os/exec"
	"sync"
	"testing"
)

// blockFuzzSeeds are small valid streams: a block of text at level 1 (700
// bytes of an export), runs at level 1, a short one at level 9 and an
// empty stream.
var blockFuzzSeeds = []string{
	"425a6831314159265359606fb42a0000825b8054105003f79704903fefff" +
		"e030015a24d09449b49854dea9e98a69994da8f503d40da83244c89a7a0d" +
		"234d181193434d1824a9a6988860d268069a00d00d0445244809299243bc" +
		"60d52ae0a4319a9aacad9a83ab8623273393b450ed36caa67f2a22567c6e" +
		"3c65d155c70f066b159fd03abb8421636716663bc6c1ff7a775fe58c2dd3" +
		"0d76f3ba1837aca896aeb9390b05b5caae5dfd14cf54fe55536fd773c179" +
		"4bdd63adab267cb47499562f224e77e89d7326063420810f2bd8f0bd6d4a" +
		"3ada112b0828a927a34cb2cb50c341717311f9e4c81eafa9c60a0a236cad" +
		"edb6d1f0548389c9c61d964499cbcc4bb1252a1fa98b059230e49c449943" +
		"e206c98b5e38aece449167d27173ca7320387a30ab60cb5b1f02f2876b4c" +
		"8cae2b39c8cda3354a496ac4fd657940c488200b695481611e6864328469" +
		"301417a9c5c447110a241d292ab8dc6a144df727d1f77039d68faa5a5a27" +
		"f8bb9229c28483037da150",
	"425a6831314159265359afe227830000035100c100100038000000a0002232369086008357512df177245385090afe227830",
	"425a68393141592653599c453ed3000003910040040244a00021223030065227e454585dc914e142427114fb4c",
	"425a683917724538509000000000",
}

var blockDecoders = sync.Pool{New: func() any { return new(blockDecoder) }}

// FuzzBlockDecoder checks the block decoder against compress/bzip2 on the
// same bytes: the same output, or an error from both. It may refuse what
// compress/bzip2 reads on after one block (errBzip2NotOne).
func FuzzBlockDecoder(f *testing.F) {
	for _, s := range blockFuzzSeeds {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		for _, s := range smallStreams(f) {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		dec := blockDecoders.Get().(*blockDecoder)
		defer blockDecoders.Put(dec)
		if diff := sameAsStdlib(decodeBoth(dec, stream)); diff != "" {
			t.Fatal(diff)
		}
	})
}
