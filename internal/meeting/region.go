package meeting

import "strings"

// AgendaRegion returns what lies between the group's agenda markers of body, with
// LF line ends and without the blank edges ReplaceAgenda adds. It fails with
// ErrAgendaMarkers where ReplaceAgenda would.
func AgendaRegion(body, groupID string) (string, error) {
	if _, err := ReplaceAgenda(body, groupID, ""); err != nil {
		return "", err
	}
	start, end := agendaStart(groupID), agendaEnd(groupID)
	inside := body[strings.Index(body, start)+len(start) : strings.Index(body, end)]
	return strings.Trim(strings.ReplaceAll(inside, "\r\n", "\n"), "\n"), nil
}
