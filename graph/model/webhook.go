package model

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acme/directory/ent/webhookdelivery"
)

// WebhookDeliveryStatus is the GraphQL WebhookDeliveryStatus: a delivery's
// stored status (pending, succeeded, failed) written in upper case. Input
// takes the upper-case values or, deprecated, the stored ones.
type WebhookDeliveryStatus string

// The delivery statuses, in schema order.
const (
	WebhookDeliveryStatusPending   WebhookDeliveryStatus = "PENDING"
	WebhookDeliveryStatusSucceeded WebhookDeliveryStatus = "SUCCEEDED"
	WebhookDeliveryStatusFailed    WebhookDeliveryStatus = "FAILED"
)

// webhookDeliveryStatuses maps each GraphQL value to its stored one.
var webhookDeliveryStatuses = []struct {
	gql    WebhookDeliveryStatus
	stored webhookdelivery.Status
}{
	{WebhookDeliveryStatusPending, webhookdelivery.StatusPending},
	{WebhookDeliveryStatusSucceeded, webhookdelivery.StatusSucceeded},
	{WebhookDeliveryStatusFailed, webhookdelivery.StatusFailed},
}

// WebhookDeliveryStatusOf returns the GraphQL value of a stored status.
func WebhookDeliveryStatusOf(s webhookdelivery.Status) WebhookDeliveryStatus {
	return WebhookDeliveryStatus(strings.ToUpper(string(s)))
}

// Stored returns the stored status of a GraphQL value.
func (s WebhookDeliveryStatus) Stored() webhookdelivery.Status {
	return webhookdelivery.Status(strings.ToLower(string(s)))
}

// WebhookDeliveryStatusValues returns the stored statuses in schema order.
func WebhookDeliveryStatusValues() []string {
	out := make([]string, len(webhookDeliveryStatuses))
	for i, e := range webhookDeliveryStatuses {
		out[i] = string(e.stored)
	}
	return out
}

// MarshalGQL writes the status in upper case.
func (s WebhookDeliveryStatus) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(s)))
}

// UnmarshalGQL reads a status in upper case or, deprecated, in lower case.
func (s *WebhookDeliveryStatus) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("webhook delivery status must be a string, not %T", v)
	}
	for _, e := range webhookDeliveryStatuses {
		if str == string(e.gql) || str == string(e.stored) {
			*s = e.gql
			return nil
		}
	}
	return fmt.Errorf("%q is not a valid webhook delivery status", str)
}
