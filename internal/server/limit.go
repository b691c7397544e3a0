package server

import (
	"net"
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// clientLimiter rate-limits each client address on its own, in a bounded table.
type clientLimiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

// maxLimitedClients bounds the table; past it, it starts afresh, which at worst
// gives a flood of distinct addresses one more burst each.
const maxLimitedClients = 4096

func newClientLimiter(every rate.Limit, burst int) *clientLimiter {
	return &clientLimiter{every: every, burst: burst, clients: map[string]*rate.Limiter{}}
}

func (c *clientLimiter) allow(client string) bool {
	c.mu.Lock()
	l, ok := c.clients[client]
	if !ok {
		if len(c.clients) >= maxLimitedClients {
			c.clients = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(c.every, c.burst)
		c.clients[client] = l
	}
	c.mu.Unlock()
	return l.Allow()
}

// clientKey is the peer's IP address; secwg answers directly, not behind a
// proxy whose headers it would have to trust, while in setup mode.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
