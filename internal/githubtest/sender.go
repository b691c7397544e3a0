package githubtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Sender plays GitHub's side of webhook delivery: it posts signed deliveries to
// the App's webhook URL, records each attempt with the answer it got in the
// App's delivery log (HookDeliveries), and posts a delivery again, with the same
// GUID and body, when the App asks for a redelivery. Like GitHub, it waits 10
// seconds for an answer and never redelivers on its own.
type Sender struct {
	log    *HookDeliveries
	secret []byte
	target func() string
	client *http.Client

	mu   sync.Mutex
	sent map[string]sentDelivery // by GUID
}

type sentDelivery struct {
	event, action string
	installation  int64
	body          []byte
}

// Sender registers the App's delivery log on s and returns a sender that posts
// to the URL target returns at the time of each attempt (a restarted server
// may listen elsewhere).
func (s *Server) Sender(secret []byte, target func() string) *Sender {
	snd := &Sender{log: s.HookDeliveries(), secret: secret, target: target,
		client: &http.Client{Timeout: 10 * time.Second}, sent: map[string]sentDelivery{}}
	snd.log.SetRedeliveryOutcome(func(d HookDelivery) (string, int) {
		code := snd.post(d.GUID)
		return StatusText(code), code
	})
	return snd
}

// Log is the App's delivery log the sender writes.
func (s *Sender) Log() *HookDeliveries { return s.log }

// Deliver sends one delivery and records the attempt; it returns the answer's
// status, 0 when the App could not be reached or did not answer in time.
func (s *Sender) Deliver(event, guid string, body []byte) int {
	var env struct {
		Action       string `json:"action"`
		Installation struct {
			ID int64 `json:"id"`
		} `json:"installation"`
	}
	_ = json.Unmarshal(body, &env)
	s.mu.Lock()
	s.sent[guid] = sentDelivery{event: event, action: env.Action, installation: env.Installation.ID, body: body}
	s.mu.Unlock()
	code := s.post(guid)
	s.log.Add(HookDelivery{GUID: guid, Event: event, Action: env.Action, InstallationID: env.Installation.ID, StatusCode: code})
	return code
}

func (s *Sender) post(guid string) int {
	s.mu.Lock()
	d, ok := s.sent[guid]
	s.mu.Unlock()
	if !ok {
		return 0
	}
	req, err := http.NewRequest(http.MethodPost, s.target(), bytes.NewReader(d.body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/test")
	req.Header.Set("X-GitHub-Event", d.event)
	req.Header.Set("X-GitHub-Delivery", guid)
	req.Header.Set("X-Hub-Signature-256", Sign(s.secret, d.body))
	res, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// Latest returns each GUID's latest attempt.
func (s *Sender) Latest() map[string]HookDelivery {
	out := map[string]HookDelivery{}
	for _, d := range s.log.Attempts() {
		out[d.GUID] = d
	}
	return out
}
