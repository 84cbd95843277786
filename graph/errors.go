package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// The extensions.code values of errors that are not the domain's.
const (
	// codeInternal: the details stay in the log.
	codeInternal = "INTERNAL_SERVER_ERROR"
	// codeTimeout: the request ran past its deadline.
	codeTimeout = "TIMEOUT"
	// codeTooLarge: the request body is over the limit (413).
	codeTooLarge = "PAYLOAD_TOO_LARGE"
	// codeBadRequest: the body is no GraphQL request (not JSON, say).
	codeBadRequest = "BAD_REQUEST"
)

// timeoutMessage is the message of a request that ran past its deadline.
const timeoutMessage = "the request took longer than its deadline"

// maxMessageBytes bounds the message of gqlgen's own errors, which may
// quote the request (a name in a parse or validation error, a JSON body).
const maxMessageBytes = 512

// undecodable starts gqlgen's message for a body that is not a GraphQL
// request; the message goes on with the whole body, which is not repeated
// to the caller.
const undecodable = "json request body could not be decoded"

// codes maps the domain's fault codes to GraphQL extensions.code values.
var codes = map[fault.Code]string{
	fault.Invalid:      "BAD_USER_INPUT",
	fault.NotFound:     "NOT_FOUND",
	fault.Conflict:     "CONFLICT",
	fault.Unauthorized: "UNAUTHENTICATED",
	fault.Forbidden:    "FORBIDDEN",
}

// presentError is the one place errors become GraphQL errors. gqlgen's own
// errors (parsing, validation, limits) pass through; resolver errors are
// classified (ent errors first, through store.Classify) and given a code,
// and the field of a BAD_USER_INPUT. Anything unclassified is logged and
// shown as a generic internal error.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	cause := gqlErr.Unwrap()
	if cause == nil || strings.HasPrefix(gqlErr.Message, undecodable) {
		return bounded(gqlErr)
	}
	if errors.Is(cause, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		slog.WarnContext(ctx, "graphql: request deadline", "path", gqlErr.Path.String(), "err", cause)
		return presented(gqlErr, timeoutMessage, codeTimeout, "")
	}
	if errors.Is(cause, context.Canceled) && ctx.Err() != nil {
		// The caller left (a socket closed, a request cancelled): nobody
		// reads this, and nothing failed on the server's side.
		return presented(gqlErr, "the request was cancelled", codeBadRequest, "")
	}
	classified := store.Classify(cause)
	var fe *fault.Error
	if !errors.As(classified, &fe) || fe.Code == fault.Internal {
		if coded := codedGraphQLError(cause); coded != nil {
			return withPath(coded, gqlErr)
		}
		slog.ErrorContext(ctx, "graphql: internal error", "path", gqlErr.Path.String(), "err", cause)
		return presented(gqlErr, "internal error", codeInternal, "")
	}
	field := fe.Field
	if field == "" && fe.Code == fault.Invalid {
		field = inputPath(ctx, gqlErr.Path)
	}
	return presented(gqlErr, fe.Message, codes[fe.Code], field)
}

// bounded returns one of gqlgen's own errors without the request body it
// may quote and with its message cut to maxMessageBytes.
func bounded(gqlErr *gqlerror.Error) *gqlerror.Error {
	msg := gqlErr.Message
	code := gqlErr.Extensions["code"]
	if strings.HasPrefix(msg, undecodable) {
		msg, _, _ = strings.Cut(msg, " body:")
		code = codeBadRequest
	}
	if len(msg) > maxMessageBytes {
		cut := maxMessageBytes
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if msg == gqlErr.Message && code == gqlErr.Extensions["code"] {
		return gqlErr
	}
	out := *gqlErr
	out.Message = msg
	out.Extensions = maps.Clone(gqlErr.Extensions)
	if out.Extensions == nil {
		out.Extensions = map[string]any{}
	}
	out.Extensions["code"] = code
	return &out
}

// presented copies the location of gqlErr into a new error with the given
// message, code and field.
func presented(gqlErr *gqlerror.Error, msg, code, field string) *gqlerror.Error {
	out := &gqlerror.Error{Message: msg, Path: gqlErr.Path, Locations: gqlErr.Locations,
		Extensions: map[string]any{"code": code}}
	if field != "" {
		out.Extensions["field"] = field
		out.Message = field + ": " + msg
	}
	return out
}

// codedGraphQLError finds an error that already carries a code, such as
// entgql's pagination and node errors.
func codedGraphQLError(err error) *gqlerror.Error {
	var inner *gqlerror.Error
	if errors.As(err, &inner) && inner.Extensions["code"] != nil {
		return inner
	}
	return nil
}

// withPath gives a coded inner error the location of the outer one.
func withPath(inner, outer *gqlerror.Error) *gqlerror.Error {
	out := *inner
	if out.Path == nil {
		out.Path = outer.Path
	}
	if out.Locations == nil {
		out.Locations = outer.Locations
	}
	return &out
}

// inputPath names the argument an input error is about ("id",
// "input.organizationID", "roleIDs[1]"): gqlgen reports such errors at the
// current field's path followed by the argument's path.
func inputPath(ctx context.Context, p ast.Path) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		prefix := fc.Path()
		if len(p) >= len(prefix) && p[:len(prefix)].String() == prefix.String() {
			p = p[len(prefix):]
		}
	}
	var b strings.Builder
	for _, el := range p {
		switch el := el.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(el))
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		}
	}
	return b.String()
}

// inputError returns err with its field (an ent field name such as
// external_id, or an argument name) spelled as the GraphQL input field and
// placed under prefix: "input" + external_id -> "input.externalID". Other
// errors pass through.
func inputError(prefix string, err error) error {
	var fe *fault.Error
	if !errors.As(store.Classify(err), &fe) || fe.Field == "" {
		return err
	}
	out := *fe
	out.Field = graphQLName(fe.Field)
	if prefix != "" {
		out.Field = prefix + "." + out.Field
	}
	return &out
}

// graphQLName turns an ent field name into its GraphQL spelling:
// organization_id -> organizationID, display_name -> displayName.
func graphQLName(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
			continue
		}
		r := []rune(parts[i])
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		parts[i] = string(r)
	}
	return strings.Join(parts, "")
}

// limitError is a BAD_USER_INPUT raised before execution, about one
// argument of the operation.
func limitError(pos *ast.Position, field, format string, args ...any) *gqlerror.Error {
	err := gqlerror.ErrorPosf(pos, format, args...)
	errcode.Set(err, codes[fault.Invalid])
	err.Extensions["field"] = field
	return err
}
