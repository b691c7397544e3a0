package handler

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
)

// delivery is what the handlers of one delivery share, so that its payload is
// decoded once however many handlers take the event.
type delivery struct {
	action    string
	hasAction bool

	mu      sync.Mutex
	decoded map[reflect.Type]any
}

type deliveryKey struct{}

// WithAction tells the handlers a delivery's action, which the webhook has
// already read, and gives them one place to share the decoded payload.
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, deliveryKey{}, &delivery{action: action, hasAction: true})
}

// withDelivery makes sure ctx carries a delivery, for callers (the Actions
// runner, tests) that did not go through the webhook.
func withDelivery(ctx context.Context) context.Context {
	if _, ok := ctx.Value(deliveryKey{}).(*delivery); ok {
		return ctx
	}
	return context.WithValue(ctx, deliveryKey{}, &delivery{})
}

// actionFrom is the delivery's action, as the webhook read it, or else read
// from the payload.
func actionFrom(ctx context.Context, payload []byte) string {
	if d, ok := ctx.Value(deliveryKey{}).(*delivery); ok && d.hasAction {
		return d.action
	}
	var v struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(payload, &v)
	return v.Action
}

// decode unmarshals payload into a T once per delivery: the handlers that
// share a delivery share its decoded value, which they must only read.
func decode[T any](ctx context.Context, payload []byte) (*T, error) {
	d, _ := ctx.Value(deliveryKey{}).(*delivery)
	if d == nil {
		v := new(T)
		return v, json.Unmarshal(payload, v)
	}
	key := reflect.TypeFor[T]()
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.decoded[key]; ok {
		return v.(*T), nil
	}
	v := new(T)
	if err := json.Unmarshal(payload, v); err != nil {
		return nil, err
	}
	if d.decoded == nil {
		d.decoded = map[reflect.Type]any{}
	}
	d.decoded[key] = v
	return v, nil
}
