package threatdragon

import (
	"fmt"
	"strings"
	"testing"
)

// bigModel is a model of n threats on one cell, about 230 bytes each.
func bigModel(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"summary": {"title": "big"}, "detail": {"diagrams": [{"diagramType": "STRIDE", "cells": [{"data": {"name": "x", "threats": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": "%08d-0000-4000-8000-000000000000", "title": "Threat %d", "status": "Open", "severity": "High", "type": "Tampering", "mitigation": "", "modelType": "STRIDE"}`, i, i)
	}
	b.WriteString("]}}]}]}}")
	return []byte(b.String())
}

// BenchmarkDecodeOneMebibyte decodes a model at the per-file size cap.
func BenchmarkDecodeOneMebibyte(b *testing.B) {
	data := bigModel(1 << 20 / 190)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFlatArray decodes a megabyte of tiny tokens, the most
// tokens per byte a model can hold.
func BenchmarkDecodeFlatArray(b *testing.B) {
	data := []byte(`{"summary": {}, "detail": {"x": [` + strings.Repeat("0,", 1<<19) + `0]}}`)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// emptyThreats is a model at the size cap of empty threat objects, the most
// threats a megabyte can hold.
func emptyThreats() []byte {
	const head, tail = `{"summary": {}, "detail": {"diagrams": [{"cells": [{"data": {"threats": [`, `{}]}}]}]}}`
	n := (1<<20 - len(head) - len(tail)) / len(`{},`)
	return []byte(head + strings.Repeat(`{},`, n) + tail)
}

// BenchmarkDecodeEmptyThreats decodes a megabyte of empty threats.
func BenchmarkDecodeEmptyThreats(b *testing.B) {
	data := emptyThreats()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
