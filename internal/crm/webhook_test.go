package crm

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestWebhookEventsEnum keeps the OpenAPI enum of WebhookInput.Events
// equal to EventTypes.
func TestWebhookEventsEnum(t *testing.T) {
	f, _ := reflect.TypeOf(WebhookInput{}).FieldByName("Events")
	got := strings.Split(f.Tag.Get("enum"), ",")
	want := append([]string{WebhookAllEvents}, EventTypes...)
	if !slices.Equal(got, want) {
		t.Errorf("enum tag %v, want %v", got, want)
	}
}

func TestWebhookHost(t *testing.T) {
	for h, want := range map[string]bool{
		"shop.example.com": true, "localhost": true, "a-b.example": true, "xn--mnchen-3ya.de": true, "hooks_1.example.org": true,
		"2130706433": false, "0x7f000001": false, "017700000001": false, "127.1": false, "0177.0.0.1": false,
		"-bad.example": false, "bad-.example": false, "a..b": false, "münchen.de": false, "": false, "example.123": false,
	} {
		if got := ValidWebhookHost(h); got != want {
			t.Errorf("ValidWebhookHost(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestWebhookSubscribed(t *testing.T) {
	all := &WebhookEndpoint{Events: []string{WebhookAllEvents}}
	some := &WebhookEndpoint{Events: []string{EventOrderCreated}}
	if !all.Subscribed(EventDealWon) || !some.Subscribed(EventOrderCreated) || some.Subscribed(EventOrderStatusChanged) {
		t.Error("Subscribed is wrong")
	}
}
