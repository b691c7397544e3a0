package lint

import (
	"fmt"
	"os"
	"slices"

	"github.com/secwg/secwg/internal/threatmodel"
)

// applyFixes writes to each file the fixes of its findings and returns how
// many it applied. disk maps a finding's path to the file on disk.
func applyFixes(r *threatmodel.Report, disk map[string]string) (int, error) {
	byPath := map[string][]threatmodel.Fix{}
	var order []string
	for _, f := range r.Findings {
		if f.Fix == nil {
			continue
		}
		if _, ok := byPath[f.Path]; !ok {
			order = append(order, f.Path)
		}
		byPath[f.Path] = append(byPath[f.Path], *f.Fix)
	}
	slices.Sort(order)
	total := 0
	for _, path := range order {
		file, ok := disk[path]
		if !ok {
			continue
		}
		info, err := os.Stat(file)
		if err != nil {
			return total, err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return total, err
		}
		out, n := threatmodel.ApplyFixes(data, byPath[path])
		if n == 0 {
			continue
		}
		if err := os.WriteFile(file, out, info.Mode().Perm()); err != nil {
			return total, fmt.Errorf("writing fixes to %s: %w", file, err)
		}
		total += n
	}
	return total, nil
}
