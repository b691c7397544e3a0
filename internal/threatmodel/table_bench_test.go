package threatmodel

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkTableAtTheSizeCap parses a file at MaxDocumentSize that is one
// table of threats: MaxTableRows rows are read, the rest skipped.
func BenchmarkTableAtTheSizeCap(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("| ID | Threat | STRIDE | Environments | Mitigations |\n|---|---|---|---|---|\n")
	for i := 0; sb.Len() < MaxDocumentSize-100; i++ {
		fmt.Fprintf(&sb, "| T-A-%d | **Smuggling** (CWE-444) | Tampering, DoS | Server | `M-A-1`<br>M-A-2 |\n", i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check([]File{{Path: "t.md", Data: data}}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTableWideHeader parses a table whose header and delimiter rows
// fill the size cap with cells: each header cell is read once.
func BenchmarkTableWideHeader(b *testing.B) {
	n := MaxDocumentSize/8 - 20
	data := []byte("| ID | STRIDE | Mitigations " + strings.Repeat("|*a*", n) + "|\n|---|---|---" + strings.Repeat("|---", n) + "|\n| T-A-1 | Tampering | M-A-1 |\n")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("t.md", data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThreatDragonAtTheSizeCap checks a Threat Dragon model at
// MaxDocumentSize whose every threat is Open with no mitigation.
func BenchmarkThreatDragonAtTheSizeCap(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"summary": {"title": "big"}, "detail": {"diagrams": [{"diagramType": "STRIDE", "cells": [{"data": {"name": "x", "threats": [`)
	for i := 0; sb.Len() < MaxDocumentSize-300; i++ {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `{"id": "%08d-0000-4000-8000-000000000000", "title": "Threat %d", "status": "Open", "severity": "High", "type": "Tampring", "mitigation": ""}`, i, i)
	}
	sb.WriteString("]}}]}]}}")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check([]File{{Path: "t.json", Data: data}}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
