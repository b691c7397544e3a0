package coord

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// entryOverhead is what the budget charges one dedup entry besides its key's
// bytes (the map slot, list element, entry and string header). It errs high:
// BenchmarkMemoryBytesPerDelivery measured about 454 heap bytes for a delivery
// (two entries, 138 key bytes) that is charged 538, so 16 MiB holds about 31,000.
const entryOverhead = 200

// memory keeps the state in maps: dedup entries in insertion order, evicted
// oldest first past the byte budget, and locks by name.
type memory struct {
	now    func() time.Time
	budget int64

	mu      sync.Mutex
	entries map[string]*list.Element // of *memEntry
	order   *list.List               // oldest first
	bytes   int64
	locks   map[string]memLock
}

type memEntry struct {
	key     string
	state   string
	expires time.Time
}

type memLock struct {
	token   string
	expires time.Time
}

func newMemory(budget int64, now func() time.Time) *memory {
	return &memory{
		now:     now,
		budget:  budget,
		entries: map[string]*list.Element{},
		order:   list.New(),
		locks:   map[string]memLock{},
	}
}

func entrySize(key string) int64 { return int64(len(key)) + entryOverhead }

// live returns key's entry unless it is absent or expired; an expired one is removed.
func (m *memory) live(key string, now time.Time) *memEntry {
	el, ok := m.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*memEntry)
	if !now.Before(e.expires) {
		m.remove(el)
		return nil
	}
	return e
}

func (m *memory) remove(el *list.Element) {
	e := m.order.Remove(el).(*memEntry)
	delete(m.entries, e.key)
	m.bytes -= entrySize(e.key)
}

// put sets key and moves it to the newest end, then trims: expired entries at the
// old end first, then the oldest entries until the budget holds.
func (m *memory) put(key, state string, expires time.Time, now time.Time) {
	if el, ok := m.entries[key]; ok {
		e := el.Value.(*memEntry)
		e.state, e.expires = state, expires
		m.order.MoveToBack(el)
	} else {
		m.entries[key] = m.order.PushBack(&memEntry{key: key, state: state, expires: expires})
		m.bytes += entrySize(key)
	}
	for el := m.order.Front(); el != nil && !now.Before(el.Value.(*memEntry).expires); el = m.order.Front() {
		m.remove(el)
	}
	for m.bytes > m.budget && m.order.Len() > 1 {
		m.remove(m.order.Front())
	}
}

func (m *memory) begin(_ context.Context, keys []string, ttl time.Duration) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	found := Claimed
	for _, k := range keys {
		if e := m.live(k, now); e != nil {
			if e.state == stateDone {
				return Done, nil
			}
			found = InProgress
		}
	}
	if found == InProgress {
		return InProgress, nil
	}
	for _, k := range keys {
		m.put(k, stateProcessing, now.Add(ttl), now)
	}
	return Claimed, nil
}

func (m *memory) done(_ context.Context, keys []string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, k := range keys {
		m.put(k, stateDone, now.Add(ttl), now)
	}
	return nil
}

func (m *memory) fail(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, k := range keys {
		if e := m.live(k, now); e != nil && e.state == stateProcessing {
			m.remove(m.entries[k])
		}
	}
	return nil
}

func (m *memory) ping(context.Context) error { return nil }

func (m *memory) acquire(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, ok := m.locks[key]; ok && now.Before(l.expires) {
		return false, nil
	}
	m.locks[key] = memLock{token: token, expires: now.Add(ttl)}
	return true, nil
}

func (m *memory) extend(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l, ok := m.locks[key]
	if !ok || l.token != token || !now.Before(l.expires) {
		return false, nil
	}
	m.locks[key] = memLock{token: token, expires: now.Add(ttl)}
	return true, nil
}

func (m *memory) release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && l.token == token {
		delete(m.locks, key)
	}
	return nil
}

func (m *memory) close() error { return nil }

// size reports the entries and the bytes charged to the budget, for tests.
func (m *memory) size() (entries int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len(), m.bytes
}
