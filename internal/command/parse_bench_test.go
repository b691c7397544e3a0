package command

import "testing"

func BenchmarkParseHostile64KiB(b *testing.B) {
	for _, h := range hostileBodies() {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(h.body)))
			for b.Loop() {
				Parse(h.body)
			}
		})
	}
}

func BenchmarkParseOrdinaryComment(b *testing.B) {
	body := "Thanks, this looks right to me. Let's discuss it next week.\n\n/agenda security-wg\n"
	b.ReportAllocs()
	for b.Loop() {
		Parse(body)
	}
}

func BenchmarkParseCommentWithoutCommand(b *testing.B) {
	body := fill("", "An ordinary long comment with `code` and <b>html</b> and no command at all.\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Parse(body)
	}
}
