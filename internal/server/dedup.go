package server

import (
	"sync"
	"time"
)

// DeliveryStore remembers webhook delivery IDs so that a redelivered event is
// acknowledged without being processed twice. The in-memory store serves one
// replica; a shared store (Redis, a database) can implement the same interface.
type DeliveryStore interface {
	// Claim records id and reports whether it was new.
	Claim(id string) bool
	// Release forgets id, so that a later redelivery of a failed job runs again.
	Release(id string)
}

// DeliveryTTL is how long a delivery ID is remembered.
const DeliveryTTL = 24 * time.Hour

// MemoryDeliveries is a DeliveryStore in memory, bounded both by age and by count.
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

// NewMemoryDeliveries remembers IDs for ttl, and at most limit of them.
func NewMemoryDeliveries(ttl time.Duration, limit int) *MemoryDeliveries {
	return &MemoryDeliveries{ttl: ttl, limit: limit, now: time.Now, seen: map[string]time.Time{}}
}

// Claim implements DeliveryStore.
func (m *MemoryDeliveries) Claim(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	if _, ok := m.seen[id]; ok {
		return false
	}
	m.seen[id] = now
	m.order = append(m.order, claim{id, now})
	return true
}

// Release implements DeliveryStore.
func (m *MemoryDeliveries) Release(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, id)
}

// Len reports how many IDs are remembered.
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
		// A released and reclaimed ID has a newer time; keep that claim.
		if at, ok := m.seen[c.id]; ok && at.Equal(c.at) {
			delete(m.seen, c.id)
		}
		m.head++
	}
	// Compact once the dead prefix dominates, so memory stays proportional to live IDs.
	if m.head > 1024 && m.head*2 > len(m.order) {
		m.order = append([]claim(nil), m.order[m.head:]...)
		m.head = 0
	}
}
