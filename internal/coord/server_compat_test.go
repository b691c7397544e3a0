package coord_test

import (
	"github.com/secwg/secwg/internal/coord"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/server"
)

// The store plugs into the server's delivery dedup and the meeting lock as is.
var (
	_ server.DeliveryStore = (*coord.Store)(nil)
	_ meetingsync.Locker   = (*coord.Store)(nil)
)
