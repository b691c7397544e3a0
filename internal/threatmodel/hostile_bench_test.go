package threatmodel

import (
	"testing"
)

// BenchmarkHostile checks each hostile shape at the size cap and reports the
// peak heap of one more check besides the time.
func BenchmarkHostile(b *testing.B) {
	for _, s := range hostileShapes {
		data := s.input(MaxDocumentSize)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			check := func() {
				if _, err := Check([]File{{Path: s.file(), Data: data}}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				check()
			}
			// Sampling the heap stops the world: measure it apart from the time.
			b.ReportMetric(float64(peakHeap(check))/(1<<20), "peak-MiB")
		})
	}
}
