package threatmodel

import "unicode/utf8"

// AnnotationBatchSize is how many annotations GitHub accepts per request.
const AnnotationBatchSize = 50

// Annotation is a check-run annotation, free of any GitHub client type.
type Annotation struct {
	Path      string
	StartLine int
	EndLine   int
	// Level is failure, warning or notice.
	Level   string
	Title   string
	Message string
}

// Annotations turns findings into batches of at most AnnotationBatchSize.
// limit caps the total (0 means no cap); omitted says how many were dropped.
func Annotations(findings []Finding, limit int) (batches [][]Annotation, omitted int) {
	if limit > 0 && len(findings) > limit {
		omitted = len(findings) - limit
		findings = findings[:limit]
	}
	for len(findings) > 0 {
		n := min(len(findings), AnnotationBatchSize)
		batch := make([]Annotation, n)
		for i, f := range findings[:n] {
			batch[i] = annotation(f)
		}
		batches = append(batches, batch)
		findings = findings[n:]
	}
	return batches, omitted
}

func annotation(f Finding) Annotation {
	level := "notice"
	switch f.Severity {
	case SeverityError:
		level = "failure"
	case SeverityWarning:
		level = "warning"
	}
	start := max(f.Line, 1)
	title := f.Rule
	if r, ok := rulesByID[f.Rule]; ok {
		title = r.ID + ": " + r.Short
	}
	if f.Entry != "" {
		title = f.Entry + " · " + title
	}
	return Annotation{
		Path: f.Path, StartLine: start, EndLine: max(f.EndLine, start), Level: level,
		// GitHub caps titles at 255 characters and messages at 64 KB.
		Title: truncate(title, 255), Message: truncate(f.Message, 60000),
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
