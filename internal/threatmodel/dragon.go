package threatmodel

import (
	"errors"
	"fmt"
	"hash/maphash"
	"path"
	"strings"

	"github.com/secwg/secwg/internal/threatdragon"
)

// Format is how a model file is written. Markdown entries get every rule;
// entries read from another tool's format get the rules that tool's fields
// can satisfy, applied as the file is read.
type Format int

// Formats secwg reads.
const (
	FormatMarkdown Format = iota
	FormatThreatDragon
)

// formatOf picks the reader for a file by its name.
func formatOf(file string) (reader func(file string, data []byte) (*Document, error), ok bool) {
	switch strings.ToLower(path.Ext(file)) {
	case ".json":
		return parseThreatDragon, true
	case ".yaml", ".yml":
		return parseUnsupportedYAML, true
	}
	return nil, false
}

// Threat Dragon's threat statuses, mapped to the format's.
var dragonStatuses = map[string]string{"open": StatusOpen, "mitigated": StatusMitigated, "notapplicable": StatusNotApplicable}

// parseThreatDragon reads an OWASP Threat Dragon v2 model: each threat of
// each diagram cell is an entry, its findings at the threat's JSON object.
func parseThreatDragon(file string, data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", file, ErrTooLarge, len(data), MaxDocumentSize)
	}
	doc := &Document{Path: file, Text: data}
	top := Position{Line: 1, Column: 1, EndLine: 1}
	add := func(pos Position, rule, entry, msg string) {
		if len(doc.Findings) < MaxParseFindings {
			doc.Findings = append(doc.Findings, newFinding(file, pos, rule, entry, msg))
		}
	}
	li := newLineIndex(data)
	m, err := threatdragon.Decode(data)
	var se *threatdragon.SyntaxError
	switch {
	case errors.As(err, &se):
		l, c := li.at(se.Offset)
		add(Position{Line: l, Column: c, EndLine: l}, RuleJSONInvalid, "", se.Msg+"; the file was not checked")
		return doc, nil
	case errors.Is(err, threatdragon.ErrNotThreatDragon):
		add(top, RuleFormatUnsupported, "", "this JSON file is not a Threat Dragon v2 model (it has no summary and detail), so nothing in it was checked; remove it from threat_model.paths")
		return doc, nil
	case errors.Is(err, threatdragon.ErrVersion1):
		add(top, RuleFormatUnsupported, "", "this is a Threat Dragon version 1 model, which is not read; open it in Threat Dragon 2 and save it to convert it")
		return doc, nil
	case err != nil:
		add(top, RuleFormatUnsupported, "", err.Error()+"; the file was not checked")
		return doc, nil
	}
	for _, dt := range m.Threats {
		l, c := li.at(dt.Start)
		el, _ := li.at(dt.End)
		pos := Position{Line: l, Column: c, EndLine: el}
		name := quote(dt.Title)
		if dt.Title == "" {
			name = "the threat"
		}
		if dt.Element != "" {
			name += " on " + quote(dt.Element)
		}
		if strings.TrimSpace(dt.ID) == "" {
			add(pos, RuleIDMalformed, "", fmt.Sprintf("%s has no id, so it is not checked; Threat Dragon gives every threat one when it saves the model", name))
			continue
		}
		e := Entry{ID: dt.ID, Title: dt.Title, Path: file, Pos: pos}
		for _, f := range []struct{ label, value string }{{labelSTRIDE, dt.Type}, {labelStatus, dt.Status}, {labelMitigations, dt.Mitigation}} {
			e.Fields = append(e.Fields, Field{Label: f.label, Value: f.value, Head: f.value, Pos: pos})
		}
		var h maphash.Hash
		h.SetSeed(digestSeed)
		for _, v := range []string{dt.ID, dt.Title, dt.Type, dt.Status, dt.Severity, dt.Mitigation, dt.ModelType, dt.Description} {
			h.WriteString(v)
			h.WriteByte(0)
		}
		e.digest = h.Sum64()
		t := &Threat{Entry: e, Format: FormatThreatDragon, Environments: Environments, Rationale: dt.Description}
		model := dt.ModelType
		if model == "" {
			model = dt.DiagramType
		}
		if strings.EqualFold(model, "STRIDE") {
			switch c, hint, ok := strideVocabulary.lookup(dt.Type); {
			case strings.TrimSpace(dt.Type) == "":
				add(pos, RuleStrideMissing, dt.ID, fmt.Sprintf("%s has no STRIDE type", name))
			case !ok:
				msg := fmt.Sprintf("%s has type %s, which is not a STRIDE category", name, quote(dt.Type))
				if hint != "" {
					msg += ": " + hint
				} else if s, ok := strideVocabulary.suggest(dt.Type); ok {
					msg += fmt.Sprintf(": did you mean %s?", s)
				}
				add(pos, RuleStrideUnknown, dt.ID, msg)
			default:
				t.STRIDE = []Category{Category(c)}
			}
		}
		status, ok := dragonStatuses[strings.ToLower(strings.TrimSpace(dt.Status))]
		if !ok {
			add(pos, RuleStatusUnknown, dt.ID, fmt.Sprintf("%s has status %s, which is not one of Threat Dragon's Open, Mitigated, NotApplicable", name, quote(dt.Status)))
		}
		t.Status = status
		if strings.TrimSpace(dt.Mitigation) != "" {
			t.InlineMitigations = []string{dt.Mitigation}
		} else if status == StatusMitigated {
			add(pos, RuleMitigationMissing, dt.ID, fmt.Sprintf("%s is Mitigated but its mitigation is empty; say what mitigates it", name))
		} else if status == StatusOpen {
			add(pos, RuleMitigationMissing, dt.ID, fmt.Sprintf("%s is Open with no planned mitigation; write the planned mitigation, or set the status to NotApplicable", name))
		}
		doc.Threats = append(doc.Threats, t)
	}
	if len(doc.Threats) == 0 && len(doc.Findings) == 0 {
		add(top, RuleModelEmpty, "", "the Threat Dragon model holds no threat, so nothing was checked; add threats to the diagram's elements in Threat Dragon")
	}
	return doc, nil
}

// parseUnsupportedYAML says why a YAML model is not read instead of passing it
// as an empty model: Threagile computes most of its risks from the
// architecture with its own rules, so the file alone holds only a fraction.
func parseUnsupportedYAML(file string, data []byte) (*Document, error) {
	doc := &Document{Path: file, Text: data}
	doc.Findings = append(doc.Findings, newFinding(file, Position{Line: 1, Column: 1, EndLine: 1}, RuleFormatUnsupported, "",
		"YAML models such as Threagile's are not read, so nothing in this file was checked: Threagile derives most risks from the architecture with its own rules; check its risk report instead, or remove the file from threat_model.paths"))
	return doc, nil
}
