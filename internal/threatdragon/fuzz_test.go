package threatdragon

import "testing"

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"summary": {"title": "M"}, "detail": {"diagrams": [{"diagramType": "STRIDE", "cells": [{"data": {"name": "n", "threats": [{"id": "a", "status": "Open", "nested": [{}]}]}}]}]}}`))
	f.Add([]byte(`{"summary": {}, "detail": {"diagrams": [{"diagramJson": {"cells": []}}]}}`))
	f.Add(bigModel(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if se, ok := err.(*SyntaxError); ok && (se.Offset < 0 || se.Offset > len(data)) {
				t.Fatalf("syntax error at %d in %d bytes", se.Offset, len(data))
			}
			return
		}
		for _, th := range m.Threats {
			if th.Start < 0 || th.End <= th.Start || th.End >= len(data) || data[th.Start] != '{' || data[th.End] != '}' {
				t.Fatalf("threat spans %d..%d of %d bytes", th.Start, th.End, len(data))
			}
		}
	})
}
