// Package threatdragon reads OWASP Threat Dragon v2 models (JSON) into their threats,
// each with the byte offsets of its object, so findings can point at the JSON lines.
package threatdragon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDepth is how deeply a model's JSON may nest; Threat Dragon's own files
// nest about ten levels.
const MaxDepth = 64

// ErrNotThreatDragon is returned for JSON that is not a Threat Dragon model.
var ErrNotThreatDragon = errors.New("not a Threat Dragon model")

// ErrVersion1 is returned for models in Threat Dragon's version 1 format.
var ErrVersion1 = errors.New("a Threat Dragon version 1 model")

// Model is what secwg reads of a Threat Dragon model.
type Model struct {
	Version string
	Title   string
	Threats []Threat
}

// Threat is one entry of a cell's data.threats. Scalar values are kept as
// written; numbers and booleans as their JSON text.
type Threat struct {
	ID, Title, Type, Status, Severity, Mitigation, ModelType, Description string
	// Start and End are the byte offsets of the object's braces.
	Start, End int
	// Diagram is the title of the diagram, DiagramType its type (STRIDE,
	// LINDDUN, CIA, DIE, PLOT4ai, Generic); Element names the cell.
	Diagram, DiagramType, Element string
	// held marks which of threatKeys the object holds, to tell a missing
	// field from an empty one.
	held uint8

	diagram int
}

// threatKeys are the keys of a threat that Threat holds, in the order of
// their bits in held.
var threatKeys = [...]string{"id", "title", "type", "status", "severity", "mitigation", "modelType", "description"}

// Has reports whether the threat's object holds key, one of the keys whose
// values Threat holds, even with an empty value.
func (t *Threat) Has(key string) bool {
	for i, k := range threatKeys {
		if k == key {
			return t.held&(1<<i) != 0
		}
	}
	return false
}

// threatPath is where threats sit: detail.diagrams[].cells[].data.threats[].
var threatPath = []string{"detail", "diagrams", "[]", "cells", "[]", "data", "threats", "[]"}

// frame is one open object or array while the decoder walks the input.
type frame struct {
	object    bool
	key       string // the key whose value comes next, in an object
	expectKey bool
}

// Decode reads a Threat Dragon v2 model. It walks the tokens once, keeping
// only the values it needs, so memory stays proportional to the threats.
func Decode(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	m := &Model{}
	var stack []frame
	var rootKeys = map[string]bool{}
	// Diagram titles and types and cell names may come after the threats in
	// the file, so threats remember their diagram and cell and are filled in last.
	type diagram struct{ title, typ string }
	var diagrams []diagram
	var elements []string
	var threatCell []int
	// cur points at next while a threat's object is read.
	var cur, next *Threat = nil, &Threat{}
	v1 := false
	// at reports whether the innermost value sits at path, written as keys
	// and "[]" for array elements; it compares without allocating.
	at := func(path ...string) bool {
		if len(stack) != len(path) {
			return false
		}
		for i, f := range stack {
			if f.object != (path[i] != "[]") || f.object && f.key != path[i] {
				return false
			}
		}
		return true
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(data, dec, err)
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey {
			if _, ok := tok.(json.Delim); !ok {
				key, _ := tok.(string)
				stack[len(stack)-1].key = key
				stack[len(stack)-1].expectKey = false
				if len(stack) == 1 {
					rootKeys[key] = true
				}
				if cur != nil && len(stack) == 9 {
					cur.hold(key)
				}
				continue
			}
		}
		// tok is a value (or the end of a container) in the innermost frame.
		// Version 1 keeps each diagram's cells under diagramJson.
		v1 = v1 || len(stack) >= 4 && stack[0].key == "detail" && stack[1].key == "diagrams" && !stack[2].object &&
			stack[3].object && stack[3].key == "diagramJson"
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= MaxDepth {
					return nil, fmt.Errorf("the JSON nests more than %d levels", MaxDepth)
				}
				if t == '{' && at(threatPath...) {
					*next = Threat{Start: int(dec.InputOffset()) - 1}
					cur = next
				}
				if t == '{' && at("detail", "diagrams", "[]") {
					diagrams = append(diagrams, diagram{})
				}
				if t == '{' && at("detail", "diagrams", "[]", "cells", "[]") {
					elements = append(elements, "")
				}
				stack = append(stack, frame{object: t == '{', expectKey: t == '{'})
				continue
			case '}', ']':
				stack = stack[:len(stack)-1]
				if t == '}' && cur != nil && len(stack) == 8 {
					cur.End = int(dec.InputOffset()) - 1
					m.Threats = append(m.Threats, *cur)
					threatCell = append(threatCell, len(elements)-1)
					m.Threats[len(m.Threats)-1].diagram = len(diagrams) - 1
					cur = nil
				}
				markValueDone(stack)
				continue
			}
		}
		s := scalar(tok)
		switch {
		case at("version"):
			m.Version = s
		case at("summary", "title"):
			m.Title = s
		case at("detail", "diagrams", "[]", "title") && len(diagrams) > 0:
			diagrams[len(diagrams)-1].title = s
		case at("detail", "diagrams", "[]", "diagramType") && len(diagrams) > 0:
			diagrams[len(diagrams)-1].typ = s
		case at("detail", "diagrams", "[]", "cells", "[]", "data", "name") && len(elements) > 0:
			elements[len(elements)-1] = s
		case at("detail", "diagrams", "[]", "cells", "[]", "attrs", "label", "text") && len(elements) > 0:
			if elements[len(elements)-1] == "" {
				elements[len(elements)-1] = s
			}
		case cur != nil && len(stack) == 9:
			cur.set(stack[8].key, s)
		}
		markValueDone(stack)
	}
	if !rootKeys["summary"] || !rootKeys["detail"] {
		return nil, ErrNotThreatDragon
	}
	if v1 {
		return nil, ErrVersion1
	}
	for i := range m.Threats {
		t := &m.Threats[i]
		if t.diagram >= 0 {
			t.Diagram, t.DiagramType = diagrams[t.diagram].title, diagrams[t.diagram].typ
		}
		if threatCell[i] >= 0 {
			t.Element = elements[threatCell[i]]
		}
	}
	return m, nil
}

// markValueDone makes the innermost object expect its next key.
func markValueDone(stack []frame) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].expectKey = true
	}
}

// hold marks key as held by the threat's object.
func (t *Threat) hold(key string) {
	for i, k := range threatKeys {
		if k == key {
			t.held |= 1 << i
		}
	}
}

func (t *Threat) set(key, v string) {
	switch key {
	case "id":
		t.ID = v
	case "title":
		t.Title = v
	case "type":
		t.Type = v
	case "status":
		t.Status = v
	case "severity":
		t.Severity = v
	case "mitigation":
		t.Mitigation = v
	case "modelType":
		t.ModelType = v
	case "description":
		t.Description = v
	}
}

func scalar(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

// SyntaxError is malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return e.Msg }

func syntaxError(data []byte, dec *json.Decoder, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		off = len(data)
	}
	return &SyntaxError{Offset: min(off, len(data)), Msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}
