package handler

import (
	"context"

	"github.com/secwg/secwg/internal/meeting"
)

// Meetings is what the comment handler asks of the meeting service. The
// service finds the installation it needs for each group's repository itself.
type Meetings interface {
	// Groups lists the configured meeting groups.
	Groups() []meeting.Group
	// NextMeeting is the Markdown answer to /meeting: the next meeting's time in
	// UTC and every zone of the group, its issue when there is one, and the agenda.
	NextMeeting(ctx context.Context, groupID string) (string, error)
	// MeetingIssueGroup reports which group's meeting issue repo#number is, when it
	// is one: its body carries the meeting marker and its author is the App.
	MeetingIssueGroup(repo, body, author string) (groupID string, ok bool)
	// ProposeMinutes opens, or updates, the minutes pull request of the meeting
	// whose issue is repo#issueNumber, and returns the pull request's URL.
	ProposeMinutes(ctx context.Context, groupID, repo string, issueNumber int) (string, error)
}

// Checks is what the comment handler asks of the threat-model check.
type Checks interface {
	// Recheck runs the threat-model check again on the pull request's head commit.
	Recheck(ctx context.Context, installationID int64, repo string, number int) error
}
