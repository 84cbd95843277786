package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
)

// webhookRecord is a webhook endpoint as the commands print it (never its
// secret, but when it is issued).
type webhookRecord struct {
	ID           uuid.UUID  `json:"id"`
	Organization uuid.UUID  `json:"organizationID"`
	URL          string     `json:"url"`
	Description  string     `json:"description,omitempty"`
	EventTypes   []string   `json:"eventTypes"`
	Enabled      bool       `json:"enabled"`
	FailingSince *time.Time `json:"failingSince"`
	Secret       string     `json:"secret,omitempty"`
}

func webhookOf(e *ent.WebhookEndpoint) webhookRecord {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	return webhookRecord{ID: e.ID, Organization: e.OrganizationID, URL: e.URL, Description: e.Description,
		EventTypes: types, Enabled: e.Enabled, FailingSince: e.FailingSince}
}

// printSecret shows a webhook endpoint with its new secret, once.
func (a *cli) printSecret(format string, s *domain.IssuedWebhookSecret) error {
	rec := webhookOf(s.Endpoint)
	rec.Secret = s.Secret
	if format == outputJSON {
		return writeJSON(a.out, rec)
	}
	fmt.Fprintf(a.out, "endpoint: %s\nurl:      %s\nsecret:   %s\n(the secret is shown only now: the receiver verifies signatures with it)\n",
		rec.ID, rec.URL, rec.Secret)
	return nil
}

func (a *cli) webhookCmd() *cobra.Command {
	valid := domain.WebhookEventTypes()

	list := leaf("list", "list an organization's webhook endpoints", nil)
	org := idFlag(list, "org", "organization id")
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			es, err := svc.WebhookEndpoints(ctx, *org)
			if err != nil {
				return err
			}
			recs := make([]webhookRecord, len(es))
			for i, e := range es {
				recs[i] = webhookOf(e)
			}
			return emit(a.out, *outList, "ID\tURL\tENABLED\tFAILING SINCE\tEVENT TYPES", recs, func(r webhookRecord) []any {
				types := strings.Join(r.EventTypes, ",")
				if types == "" {
					types = "(all)"
				}
				return []any{r.ID, r.URL, r.Enabled, timeOrDash(r.FailingSince), types}
			})
		})
	}

	create := leaf("create", "register a webhook endpoint (its signing secret is shown once)", nil)
	createOrg := idFlag(create, "org", "organization id")
	endpoint := create.Flags().String("url", "", "where deliveries are POSTed (https://...)")
	_ = create.MarkFlagRequired("url")
	description := create.Flags().String("description", "", "a note for admins")
	var types []string
	create.Flags().Var(&enumListValue{v: &types, allowed: valid}, "types", "event types it receives, comma-separated (none: every event)")
	completeFrom(create, "types", valid)
	disabled := create.Flags().Bool("disabled", false, "create it disabled")
	outCreate := outputFlag(create)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			s, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: *createOrg, URL: *endpoint,
				Description: *description, EventTypes: types, Disabled: *disabled})
			if err != nil {
				return err
			}
			return a.printSecret(*outCreate, s)
		})
	}

	enabled := func(use, short string, on bool) *cobra.Command {
		done := "webhook endpoint %s disabled"
		if on {
			done = "webhook endpoint %s enabled"
		}
		return a.onID(use, short, "endpoint", "webhook endpoint id", done, func(svc *domain.Service, ctx context.Context, id uuid.UUID) error {
			_, err := svc.UpdateWebhookEndpoint(ctx, id, domain.WebhookEndpointChange{Enabled: &on})
			return err
		})
	}

	rotate := leaf("rotate", "give an endpoint a new signing secret (shown once); the old one signs beside it for --overlap", nil)
	rotID := idFlag(rotate, "endpoint", "webhook endpoint id")
	overlap := rotate.Flags().Duration("overlap", 24*time.Hour, "how long the old secret keeps signing beside the new one (0: not at all)")
	outRotate := outputFlag(rotate)
	rotate.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			s, err := svc.RotateWebhookSecret(ctx, *rotID, *overlap)
			if err != nil {
				return err
			}
			return a.printSecret(*outRotate, s)
		})
	}

	return noun("webhook", "webhook endpoints: list, create, delete, enable, disable, rotate the secret", list, create,
		a.onID("delete", "delete a webhook endpoint", "endpoint", "webhook endpoint id", "webhook endpoint %s deleted",
			(*domain.Service).DeleteWebhookEndpoint),
		enabled("enable", "enable an endpoint: it resumes where it stopped", true),
		enabled("disable", "disable an endpoint: deliveries wait until it is enabled", false),
		rotate)
}

func (a *cli) portalCmd() *cobra.Command {
	link := leaf("link", "make a portal link: one organization's IT admin signs in to the Admin Portal with it, once", nil)
	org := idFlag(link, "org", "organization id")
	expiresIn := link.Flags().Duration("expires-in", domain.DefaultPortalLinkTTL,
		fmt.Sprintf("how long the link may be opened (at most %s)", domain.MaxPortalLinkTTL))
	a.cfg.printedURLFlags(link.Flags())
	out := outputFlag(link)
	link.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, s *store.Store) error {
			l, err := svc.CreatePortalLink(ctx, *org, *expiresIn)
			if err != nil {
				return err
			}
			u := a.publicURL(ctx, s) + domain.PortalLoginPath + "?token=" + url.QueryEscape(l.Token)
			exp := l.Session.LinkExpiresAt.UTC()
			if *out == outputJSON {
				return writeJSON(a.out, struct {
					URL       string    `json:"url"`
					ExpiresAt time.Time `json:"expiresAt"`
				}{u, exp})
			}
			fmt.Fprintf(a.out, "%s\n(opens once, until %s)\n", u, exp.Format(time.RFC3339))
			return nil
		})
	}
	return noun("portal", "Admin Portal links", link)
}
