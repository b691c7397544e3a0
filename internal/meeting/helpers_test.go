package meeting

// testGroup is the WG's defaults with the keys a configuration must add.
func testGroup() Group {
	g := DefaultGroup()
	g.ID = "security-wg"
	g.Org = "nodejs"
	g.Repo = "nodejs/security-wg"
	g.Team = "nodejs/security-wg"
	g.Calendar = &CalendarSource{URL: "testdata/us-biweekly.ics", Filter: securityFilter}
	return g
}
