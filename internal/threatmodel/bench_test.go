package threatmodel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/text"
)

// generatedModel writes n threats with mitigations, the shape a large model has.
func generatedModel(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# Generated threat model\n\nWhat Node.js trusts and does not trust.\n\n## Threats\n\n")
	for i := range n {
		fmt.Fprintf(&b, "#### T-GEN-%05d: Generated threat number %d with a descriptive title (CWE-%d)\n\n", i, i, 100+i%900)
		fmt.Fprintf(&b, "- **STRIDE**: Tampering, Denial of service\n- **Environments**: Server, CLI\n- **Status**: Mitigated\n- **Mitigations**: M-GEN-%05d\n\n", i)
		fmt.Fprintf(&b, "An attacker who controls the input of component %d can send crafted data that the\n", i)
		b.WriteString("parser accepts, with `code`, [a link](https://example.org/) and *emphasis* in the prose\n")
		b.WriteString("around it, which the checker must skip over quickly. Several more sentences of prose\n")
		b.WriteString("follow here to give each entry the weight of a real threat description, with notes on\n")
		b.WriteString("impact, preconditions and the history of reports against this part of Node.js.\n\n")
		b.WriteString("Further discussion of the threat lives here as a second paragraph so the document has\n")
		b.WriteString("the kind of prose density a real threat model has between the structured fields of it.\n")
		b.WriteString("It mentions configuration, deployment and how operators are expected to respond today.\n\n")
	}
	b.WriteString("## Mitigations\n\n")
	for i := range n {
		fmt.Fprintf(&b, "#### M-GEN-%05d: Generated mitigation %d\n\n- **Status**: Implemented\n- **Environments**: All\n- **Since**: v20.0.0\n\nHow the mitigation works.\n\n", i, i)
	}
	return b.Bytes()
}

var benchmarkInputs = sync.OnceValue(func() map[string][]byte {
	// 1,000 entries make a model just under MaxDocumentSize.
	inputs := map[string][]byte{"1MB": generatedModel(1000)}
	if shared := os.Getenv("SECWG_SHARED"); shared != "" {
		if data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "nodejs-node-SECURITY.md")); err == nil {
			inputs["32KB"] = data
			return inputs
		}
	}
	inputs["32KB"] = generatedModel(26)
	return inputs
})

func BenchmarkCheck(b *testing.B) {
	for _, name := range []string{"32KB", "1MB"} {
		data := benchmarkInputs()[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := Check([]File{{Path: "model.md", Data: data}}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				_ = Summary(r)
			}
		})
	}
}

// BenchmarkGoldmarkParse is the floor: goldmark's default parser alone.
func BenchmarkGoldmarkParse(b *testing.B) {
	for _, name := range []string{"32KB", "1MB"} {
		data := benchmarkInputs()[name]
		b.Run(name, func(b *testing.B) {
			p := goldmark.New().Parser()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p.Parse(text.NewReader(data))
			}
		})
	}
}
