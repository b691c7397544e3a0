package handler

import (
	"context"
	"errors"

	"github.com/palantir/go-githubapp/githubapp"
)

// actionFilter matches server.ActionFilter without importing the server.
type actionFilter interface {
	HandlesAction(event, action string) bool
}

// fanout gives one event to several handlers: go-githubapp's dispatcher keeps one
// handler per event, while pull_request, for one, matters to both the agenda and
// the threat-model check.
type fanout struct {
	event    string
	handlers []githubapp.EventHandler
}

func (f *fanout) Handles() []string { return []string{f.event} }

// HandlesAction is true when any member wants the action; members without a
// filter want every action.
func (f *fanout) HandlesAction(event, action string) bool {
	for _, h := range f.handlers {
		if af, ok := h.(actionFilter); !ok || af.HandlesAction(event, action) {
			return true
		}
	}
	return false
}

// Handle runs every member that wants the action, each even when another failed.
func (f *fanout) Handle(ctx context.Context, event, deliveryID string, payload []byte) error {
	ctx = withDelivery(ctx)
	action := actionFrom(ctx, payload)
	var errs []error
	for _, h := range f.handlers {
		if af, ok := h.(actionFilter); ok && !af.HandlesAction(event, action) {
			continue
		}
		errs = append(errs, h.Handle(ctx, event, deliveryID, payload))
	}
	return errors.Join(errs...)
}

// combine returns one handler per event, fanning out where several share one.
func combine(handlers []githubapp.EventHandler) []githubapp.EventHandler {
	byEvent := map[string][]githubapp.EventHandler{}
	var order []string
	for _, h := range handlers {
		for _, ev := range h.Handles() {
			if byEvent[ev] == nil {
				order = append(order, ev)
			}
			byEvent[ev] = append(byEvent[ev], h)
		}
	}
	out := make([]githubapp.EventHandler, 0, len(order))
	for _, ev := range order {
		out = append(out, &fanout{event: ev, handlers: byEvent[ev]})
	}
	return out
}
