package threatmodel

import (
	"testing"
)

// BenchmarkHostile checks each hostile shape at the size cap and reports the
// peak heap besides time.
func BenchmarkHostile(b *testing.B) {
	for _, s := range hostileShapes {
		data := s.build(MaxDocumentSize)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var peak uint64
			for b.Loop() {
				p := peakHeap(func() {
					if _, err := Check([]File{{Path: "hostile.md", Data: data}}, Options{}); err != nil {
						b.Fatal(err)
					}
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		})
	}
}
