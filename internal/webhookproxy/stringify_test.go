package webhookproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The expected outputs were printed by Node.js 20:
// JSON.stringify(JSON.parse(input)).
func TestStringifyMatchesJavaScript(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"whitespace is dropped",
			"{ \"b\" : 1 , \"a\" : [ 1 , 2 ] }",
			"{\"b\":1,\"a\":[1,2]}"},
		{"array-index keys come first in ascending order",
			"{\"z\":1,\"10\":2,\"2\":3,\"a\":4,\"01\":5,\"-1\":6,\"4294967294\":7,\"4294967295\":8}",
			"{\"2\":3,\"10\":2,\"4294967294\":7,\"z\":1,\"a\":4,\"01\":5,\"-1\":6,\"4294967295\":8}"},
		{"a repeated key keeps its first place and its last value",
			"{\"a\":1,\"b\":2,\"a\":3}",
			"{\"a\":3,\"b\":2}"},
		{"a repeated index key too",
			"{\"5\":1,\"x\":2,\"5\":3}",
			"{\"5\":3,\"x\":2}"},
		{"escapes JSON.stringify does not write are undone",
			"{\"s\":\"\\u00e9\\/\\u003c\\u2028 tab\\there \\u0001\\u001f\\u007f\"}",
			"{\"s\":\"\u00e9/<\u2028 tab\\there \\u0001\\u001f\x7f\"}"},
		{"surrogate pairs join, lone surrogates stay escaped",
			"{\"s\":\"\\ud83d\\ude00 \\ud83d lone \\ude00 low\"}",
			"{\"s\":\"\U0001f600 \\ud83d lone \\ude00 low\"}"},
		{"raw UTF-8 and short escapes pass through",
			"{\"s\":\"raw \u00e9 \U0001f600 \\\" \\\\ \\b\\f\\n\\r\"}",
			"{\"s\":\"raw \u00e9 \U0001f600 \\\" \\\\ \\b\\f\\n\\r\"}"},
		{"numbers print as Number#toString",
			"{\"n\":[1.0,-0,0.1,1e21,1e-7,1.5e-7,123456789012345678901234,9007199254740993,5e-324,1E400,-1e400,100,1e2,0.000001,1.7976931348623157e308,-12.50,2.5E+3]}",
			"{\"n\":[1,0,0.1,1e+21,1e-7,1.5e-7,1.2345678901234569e+23,9007199254740992,5e-324,null,null,100,100,0.000001,1.7976931348623157e+308,-12.5,2500]}"},
		{"literals and empty containers",
			"{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"a\":[],\"o\":{\"\":1}}",
			"{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"a\":[],\"o\":{\"\":1}}"},
		{"__proto__ is an ordinary key",
			"{\"__proto__\":{\"x\":1},\"constructor\":2}",
			"{\"__proto__\":{\"x\":1},\"constructor\":2}"},
		{"invalid UTF-8 becomes U+FFFD",
			"{\"s\":\"a\xffb\"}",
			"{\"s\":\"a\ufffdb\"}"},
		{"a large object with a repeated key",
			`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k3":"x","7":7}`,
			`{"7":7,"k0":0,"k1":1,"k2":2,"k3":"x","k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stringify([]byte(tt.in))
			if err != nil {
				t.Fatalf("stringify: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("stringify(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStringifyRejectsWhatJSONParseRejects(t *testing.T) {
	tests := map[string]string{
		"trailing comma":          `{"a":1,}`,
		"single quotes":           `{'a':1}`,
		"NaN":                     `{"a":NaN}`,
		"leading plus":            `{"a":+1}`,
		"leading zero":            `{"a":01}`,
		"bare point":              `{"a":1.}`,
		"unterminated string":     `{"a":"x`,
		"raw control character":   "{\"a\":\"\x01\"}",
		"bad escape":              `{"a":"\x"}`,
		"short unicode escape":    `{"a":"\u12"}`,
		"two values":              `{} {}`,
		"unquoted key":            `{a:1}`,
		"truncated literal":       `{"a":tru}`,
		"empty":                   ``,
		"unterminated array":      `[1,2`,
		"missing colon":           `{"a" 1}`,
		"vertical tab whitespace": "{\v}",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := stringify([]byte(in)); err == nil {
				t.Errorf("stringify(%q) = %q, want an error", in, got)
			}
		})
	}
}

func TestStringifyRefusesDeepNesting(t *testing.T) {
	in := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	if _, err := stringify([]byte(in)); !errors.Is(err, errTooDeep) {
		t.Fatalf("err = %v, want errTooDeep", err)
	}
	ok := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if _, err := stringify([]byte(ok)); err != nil {
		t.Fatalf("nesting at the limit: %v", err)
	}
}

// TestStringifyMatchesNodeOnTheWebhookCorpus compares every payload of the
// corpus with what Node.js prints for it, when Node.js is installed.
func TestStringifyMatchesNodeOnTheWebhookCorpus(t *testing.T) {
	dir := os.Getenv("SECWG_WEBHOOK_CORPUS")
	if dir == "" {
		t.Skip("SECWG_WEBHOOK_CORPUS is not set; set it to ../shared/corpus/webhooks to compare with Node.js")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the table test pins the same rules")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		t.Fatalf("no payloads under %s", dir)
	}
	// One Node.js process prints one line per file.
	script := `const fs=require("fs");for(const f of process.argv.slice(1))process.stdout.write(JSON.stringify(JSON.stringify(JSON.parse(fs.readFileSync(f,"utf8"))))+"\n")`
	out, err := exec.Command(node, append([]string{"-e", script}, files...)...).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) != len(files) {
		t.Fatalf("node printed %d lines for %d files", len(lines), len(files))
	}
	for i, f := range files {
		var want string
		if err := json.Unmarshal(lines[i], &want); err != nil {
			t.Fatalf("%s: node output: %v", f, err)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := stringify(raw)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s: differs from JSON.stringify", f)
		}
	}
}

func BenchmarkStringifyPayload(b *testing.B) {
	// A 1 MiB payload of the shape GitHub sends: objects, strings, numbers.
	var buf bytes.Buffer
	buf.WriteString(`{"action":"opened","items":[`)
	for i := 0; buf.Len() < 1<<20; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":1234567,"node_id":"MDU6SXNzdWUx","title":"Spelling error in the README file é","body":"It looks like you accidently spelled 'commit' with two 't's.\n","labels":[{"id":208045946,"default":true}],"score":1.5}`)
	}
	buf.WriteString(`]}`)
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stringify(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseMessage shows the memory one channel message costs on its way
// to the handler: bytes allocated per op against the message size.
func BenchmarkParseMessage(b *testing.B) {
	var payload bytes.Buffer
	payload.WriteString(`{"action":"opened","items":[`)
	for i := 0; payload.Len() < 1<<20; i++ {
		if i > 0 {
			payload.WriteByte(',')
		}
		payload.WriteString(`{"id":1234567,"title":"Spelling error in the README file","body":"line\nline <b>é</b>","score":1.5}`)
	}
	payload.WriteString(`]}`)
	msg := `{"host":"smee.io","x-github-event":"issues","x-github-delivery":"d0b5c8a0-0000-0000-0000-000000000000",` +
		`"x-hub-signature-256":"sha256=00","content-type":"application/json","body":` + payload.String() + `,"query":{},"timestamp":1}`
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMessage(msg); err != nil {
			b.Fatal(err)
		}
	}
}
