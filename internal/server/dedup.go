package server

import (
	"context"

	"github.com/secwg/secwg/internal/coord"
)

// DeliveryStore remembers deliveries by ID and by the SHA-256 of their body, so
// that a redelivery, or the same signed body replayed under a new ID, is
// acknowledged without being processed twice. *coord.Store is the one secwg
// uses: in memory for one replica, in Redis for several.
type DeliveryStore interface {
	// Claim marks the delivery as in progress when its ID and body are new,
	// and otherwise says whether they are in progress or done.
	Claim(ctx context.Context, id string, body [32]byte) (coord.Claim, error)
	// Done records that the delivery was processed, for 24 hours.
	Done(ctx context.Context, id string, body [32]byte) error
	// Fail forgets the delivery, so that its redelivery runs again.
	Fail(ctx context.Context, id string, body [32]byte) error
}
