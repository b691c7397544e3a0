package threatmodel

import "slices"

// Cell counts the threats of one STRIDE category in one environment.
type Cell struct {
	// Threats counts every threat except those Not applicable.
	Threats int
	// Open counts those still Open.
	Open int
}

// Coverage is the STRIDE × environment matrix of a model, indexed like
// Categories and Environments.
type Coverage [6][5]Cell

func coverage(docs []*Document) Coverage {
	var c Coverage
	for _, d := range docs {
		for _, t := range d.Threats {
			if t.Status == StatusNotApplicable {
				continue
			}
			for _, cat := range t.STRIDE {
				i := slices.Index(Categories, cat)
				for _, env := range t.Environments {
					j := slices.Index(Environments, env)
					c[i][j].Threats++
					if t.Status == StatusOpen {
						c[i][j].Open++
					}
				}
			}
		}
	}
	return c
}
