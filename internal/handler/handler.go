// Package handler holds secwg's webhook handlers, one file per event family; each
// is a thin reconcile: parse the payload, load config, call the core, write back.
package handler

import (
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/metrics"
)

// Base carries what every handler needs.
type Base struct {
	Clients githubapp.ClientCreator
	Metrics *metrics.Metrics
	// App is the App's identity; its comments and issues are authored by its
	// login once GitHub has told the slug.
	App appid.Identity
}

// MeetingService is what the handlers ask of the meeting service: the
// commands' answers and the live agenda. *meetingsync.Service is one.
type MeetingService interface {
	Meetings
	LiveAgenda
}

// Services are the features handlers share; a nil one is switched off.
type Services struct {
	// Groups are the meeting groups commands act for, also with Meetings off.
	Groups   []meeting.Group
	Meetings MeetingService
	// Checks runs the threat-model check on pull requests and for /recheck.
	Checks *checkrun.Service
	// WrapChecker, when set, wraps the API's permission checker for commands:
	// a token that cannot read team membership answers for teams otherwise.
	WrapChecker func(command.Checker) command.Checker
}

// All lists secwg's handlers, one per event.
func All(b Base, s Services) []githubapp.EventHandler {
	installs := &Installation{Base: b}
	if c, ok := s.Meetings.(InstallationCache); ok {
		installs.Cache = c
	}
	hs := []githubapp.EventHandler{installs, newCommentWith(b, s)}
	if s.Checks != nil {
		hs = append(hs, NewCheck(b, s.Checks))
	}
	if s.Meetings != nil {
		hs = append(hs, &Meeting{Base: b, Agenda: s.Meetings})
	}
	return combine(hs)
}
