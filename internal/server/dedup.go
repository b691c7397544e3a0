package server

import (
	"context"
)

// DeliveryStore remembers deliveries by ID and by the SHA-256 of their body, so
// that a redelivery, or the same signed body replayed under a new ID, is
// acknowledged without being processed twice. *coord.Store is the one secwg
// uses: in memory for one replica, in Redis for several.
type DeliveryStore interface {
	// Begin marks the delivery as in progress and reports whether it was new:
	// false when its ID or its body is in progress or done.
	Begin(ctx context.Context, id string, body [32]byte) (bool, error)
	// Done records that the delivery was processed, for 24 hours.
	Done(ctx context.Context, id string, body [32]byte) error
	// Fail forgets the delivery, so that its redelivery runs again.
	Fail(ctx context.Context, id string, body [32]byte) error
}
