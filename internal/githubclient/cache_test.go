package githubclient

import (
	"strings"
	"testing"
)

func TestLRUCacheEvictsLeastRecentlyUsedWithinItsLimit(t *testing.T) {
	c := NewLRUCache(30)
	c.Set("a", []byte(strings.Repeat("x", 9))) // 10 bytes with key
	c.Set("b", []byte(strings.Repeat("x", 9)))
	c.Set("c", []byte(strings.Repeat("x", 9)))
	if _, ok := c.Get("a"); !ok { // a becomes most recent
		t.Fatal("a missing")
	}
	c.Set("d", []byte(strings.Repeat("x", 9)))
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if c.Size() != 30 {
		t.Errorf("size %d", c.Size())
	}
	c.Set("a", []byte("y")) // replacing shrinks
	if c.Size() != 22 {
		t.Errorf("size after replace %d", c.Size())
	}
	c.Delete("c")
	if _, ok := c.Get("c"); ok || c.Size() != 12 {
		t.Errorf("delete left size %d", c.Size())
	}
	c.Set("huge", make([]byte, 100))
	if _, ok := c.Get("huge"); ok || c.Size() != 12 {
		t.Error("an entry larger than the cache must not be stored")
	}
}
