package githubclient

import (
	"container/list"
	"sync"
)

// LRUCache is an httpcache.Cache bounded by the bytes it holds; httpcache's own
// memory cache grows without limit, which a long-running server cannot afford.
type LRUCache struct {
	mu      sync.Mutex
	limit   int64
	size    int64
	order   *list.List // front is most recently used
	entries map[string]*list.Element
}

type cacheEntry struct {
	key   string
	value []byte
}

// NewLRUCache returns a cache that evicts the least recently used responses once
// it holds more than limit bytes. A limit of 0 or less stores nothing.
func NewLRUCache(limit int64) *LRUCache {
	return &LRUCache{limit: limit, order: list.New(), entries: map[string]*list.Element{}}
}

// Get returns a cached response.
func (c *LRUCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).value, true
}

// Set stores a response, evicting older ones to stay within the limit.
func (c *LRUCache) Set(key string, value []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
	n := entrySize(key, value)
	if n > c.limit {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, value: value})
	c.size += n
	for c.size > c.limit {
		c.remove(c.order.Back().Value.(*cacheEntry).key)
	}
}

// Delete drops a response.
func (c *LRUCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
}

// Size reports the bytes held.
func (c *LRUCache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

func (c *LRUCache) remove(key string) {
	e, ok := c.entries[key]
	if !ok {
		return
	}
	ce := e.Value.(*cacheEntry)
	c.size -= entrySize(ce.key, ce.value)
	c.order.Remove(e)
	delete(c.entries, key)
}

func entrySize(key string, value []byte) int64 { return int64(len(key) + len(value)) }
