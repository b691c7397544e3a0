package server

import (
	"context"
	"encoding/hex"
	"sync"
	"time"
)

// DeliveryStore remembers deliveries by ID and by the SHA-256 of their body, so
// that a redelivery, or the same signed body replayed under a new ID, is
// acknowledged without being processed twice.
type DeliveryStore interface {
	// Begin marks the delivery as in progress and reports whether it was new:
	// false when its ID or its body is in progress or done.
	Begin(ctx context.Context, id string, body [32]byte) (bool, error)
	// Done records that the delivery was processed, for DeliveryTTL.
	Done(ctx context.Context, id string, body [32]byte) error
	// Fail forgets the delivery, so that its redelivery runs again.
	Fail(ctx context.Context, id string, body [32]byte) error
}

// DeliveryTTL is how long a delivery is remembered.
const DeliveryTTL = 24 * time.Hour

// MemoryDeliveries is a DeliveryStore in memory for one replica, bounded both by
// age and by count.
type MemoryDeliveries struct {
	mu    sync.Mutex
	ttl   time.Duration
	limit int
	now   func() time.Time
	seen  map[string]time.Time
	order []claim // claims in time order, for expiry
	head  int
}

type claim struct {
	id string
	at time.Time
}

// NewMemoryDeliveries remembers keys for ttl, and at most limit of them.
func NewMemoryDeliveries(ttl time.Duration, limit int) *MemoryDeliveries {
	return &MemoryDeliveries{ttl: ttl, limit: limit, now: time.Now, seen: map[string]time.Time{}}
}

func bodyKey(body [32]byte) string { return "sha256:" + hex.EncodeToString(body[:]) }

// Begin implements DeliveryStore.
func (m *MemoryDeliveries) Begin(_ context.Context, id string, body [32]byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	bk := bodyKey(body)
	if _, ok := m.seen[id]; ok {
		return false, nil
	}
	if _, ok := m.seen[bk]; ok {
		return false, nil
	}
	for _, k := range []string{id, bk} {
		m.seen[k] = now
		m.order = append(m.order, claim{k, now})
	}
	return true, nil
}

// Done implements DeliveryStore: in memory, in progress and done are one state.
func (m *MemoryDeliveries) Done(context.Context, string, [32]byte) error { return nil }

// Fail implements DeliveryStore.
func (m *MemoryDeliveries) Fail(_ context.Context, id string, body [32]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, id)
	delete(m.seen, bodyKey(body))
	return nil
}

// Len reports how many keys are remembered.
func (m *MemoryDeliveries) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

func (m *MemoryDeliveries) expire(now time.Time) {
	for m.head < len(m.order) {
		c := m.order[m.head]
		if now.Sub(c.at) < m.ttl && len(m.order)-m.head <= m.limit {
			break
		}
		// A released and reclaimed key has a newer time; keep that claim.
		if at, ok := m.seen[c.id]; ok && at.Equal(c.at) {
			delete(m.seen, c.id)
		}
		m.head++
	}
	// Compact once the dead prefix dominates, so memory stays proportional to live keys.
	if m.head > 1024 && m.head*2 > len(m.order) {
		m.order = append([]claim(nil), m.order[m.head:]...)
		m.head = 0
	}
}
