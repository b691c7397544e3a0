package meeting

import "time"

// DefaultZones is the time table the Node.js Security WG's meeting issues carry.
var DefaultZones = []Zone{
	{Label: "US / Pacific", Zone: "America/Los_Angeles"},
	{Label: "US / Mountain", Zone: "America/Denver"},
	{Label: "US / Central", Zone: "America/Chicago"},
	{Label: "US / Eastern", Zone: "America/New_York"},
	{Label: "EU / Western", Zone: "Europe/London"},
	{Label: "EU / Central", Zone: "Europe/Amsterdam"},
	{Label: "EU / Eastern", Zone: "Europe/Helsinki"},
	{Label: "Moscow", Zone: "Europe/Moscow"},
	{Label: "Chennai", Zone: "Asia/Kolkata"},
	{Label: "Hangzhou", Zone: "Asia/Shanghai"},
	{Label: "Tokyo", Zone: "Asia/Tokyo"},
	{Label: "Sydney", Zone: "Australia/Sydney"},
}

// DefaultLeadTime is how long before a meeting its issue appears: the week
// create-node-meeting-artifacts looks ahead.
const DefaultLeadTime = 7 * 24 * time.Hour

// DefaultGroup is a group with the Node.js Security WG's settings; a configuration
// entry only needs to add id, org, repo and a calendar or schedule.
func DefaultGroup() Group {
	return Group{
		Name:        "Security team",
		Host:        "Node.js",
		Title:       "{{.Host}} {{.Name}} Meeting {{.Date}}",
		AgendaLabel: "security-wg-agenda",
		Duration:    time.Hour,
		LeadTime:    DefaultLeadTime,
		Timezones:   append([]Zone(nil), DefaultZones...),
		Invited:     []string{"Security wg team: @nodejs/security-wg"},
		Joining: Joining{
			Participant: "see the calendar invitation",
			Observer: "We stream our conference call straight to YouTube so anyone can listen to it live, " +
				"it should start playing at <https://www.youtube.com/c/nodejs+foundation/live> when we turn it on. " +
				"There's usually a short cat-herding time at the start of the meeting and then occasionally we have " +
				"some quick private business to attend to before we can start recording & streaming. " +
				"So be patient and it should show up.",
		},
		StandingItems: []StandingItem{
			{Title: "Vulnerability Review", URL: "https://github.com/nodejs/nodejs-dependency-vuln-assessments/issues"},
			{Title: "OpenSSF Scorecard Monitor Review", URL: "https://github.com/nodejs/security-wg/issues?q=is%3Aissue+OpenSSF+Scorecard+Report+Updated%21+"},
		},
		Minutes: Minutes{Path: "meetings/{{.Date}}.md", Delay: 2 * time.Hour},
		CalendarPage: CalendarPage{
			Name: "Node.js Project Calendar",
			URL:  "https://nodejs.org/calendar",
			Note: "Click `Add to Google Calendar` at the bottom left to add to your own Google calendar.",
		},
	}
}
