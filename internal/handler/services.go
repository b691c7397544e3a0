package handler

import "github.com/secwg/secwg/internal/commands"

// Meetings is what the comment handler asks of the meeting service.
type Meetings = commands.Meetings

// Checks is what the comment handler asks of the threat-model check.
type Checks = commands.Checks
