package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// Column types of the dump: what a value is on every engine, whatever the
// driver returns (SQLite has no booleans, PostgreSQL no untyped values).
const (
	TypeInt  = "int"  // int64, nil when the column allows NULL
	TypeText = "text" // string
	TypeBool = "bool" // bool
)

// DumpColumn is one exported column.
type DumpColumn struct {
	Name string
	Type string
}

// DumpTable is one exported table. Tables are listed parents first, so
// restoring them in order never breaks a foreign key.
type DumpTable struct {
	Name    string
	Columns []DumpColumn
	// Sequence is the PostgreSQL sequence of the id column, "" without one.
	Sequence string
}

func cols(spec string) []DumpColumn {
	var out []DumpColumn
	for f := range strings.FieldsSeq(spec) {
		name, typ, _ := strings.Cut(f, ":")
		if typ == "" {
			typ = TypeText
		}
		out = append(out, DumpColumn{name, typ})
	}
	return out
}

// DumpSchema lists the tables a full export holds. Sessions, idempotency
// keys and the migration record are left out: they are runtime state, not
// data. Password and API-key secret hashes are left out on purpose, so an
// export file can never be used to sign in; after a restore users set new
// passwords and API keys are created again.
var DumpSchema = []DumpTable{
	{"users", cols("id:int email name role language active:bool created_at:int updated_at:int"), "users_id_seq"},
	{"role_settings", cols("role own_only:bool"), ""},
	{"api_keys", cols("id:int name prefix scopes created_by:int created_at:int last_used_at:int revoked_at:int"), "api_keys_id_seq"},
	{"companies", cols("id:int name sort_name domain industry size:int phone street city region country owner_id:int tags custom search created_at:int updated_at:int"), "companies_id_seq"},
	{"company_tags", cols("tag company_id:int"), ""},
	{"contacts", cols("id:int first_name last_name sort_name email phone company_id:int title street city region postal_code country birth_date language stage source owner_id:int tags custom search created_at:int updated_at:int"), "contacts_id_seq"},
	{"contact_emails", cols("contact_id:int email position:int"), ""},
	{"contact_phones", cols("contact_id:int phone position:int"), ""},
	{"contact_tags", cols("tag contact_id:int"), ""},
	{"custom_fields", cols("id:int entity key label type options required:bool position:int created_at:int"), "custom_fields_id_seq"},
	// Commerce (0002_commerce.sql), before activities: timeline entries
	// of kind "order" refer to orders.
	{"settings", cols("key value"), ""},
	{"products", cols("id:int sku name sort_name names description descriptions category price:int currency tax_rate_bp:int active:bool image_url low_stock:int options search created_at:int updated_at:int"), "products_id_seq"},
	{"stock_levels", cols("product_id:int location on_hand:int reserved:int updated_at:int"), ""},
	{"orders", cols("id:int contact_id:int status channel currency external_id subtotal:int discount:int tax:int total:int note carrier tracking_number deal_id:int placed_at:int created_at:int updated_at:int kind credit_for:int"), "orders_id_seq"},
	{"order_lines", cols("id:int order_id:int position:int product_id:int sku name quantity:int unit_price:int discount:int tax_rate_bp:int tax:int total:int options location"), "order_lines_id_seq"},
	{"order_events", cols("id:int order_id:int status note carrier tracking_number actor at:int"), "order_events_id_seq"},
	{"stock_movements", cols("id:int product_id:int location kind quantity:int order_id:int note actor created_at:int"), "stock_movements_id_seq"},
	{"customer_facts", cols("contact_id:int orders:int total_spent:int currency first_order_at:int last_order_at:int updated_at:int"), ""},
	{"contact_external_ids", cols("source external_id contact_id:int"), ""},
	{"activities", cols("id:int kind contact_id:int company_id:int subject body outcome duration_sec:int occurred_at:int author_id:int order_id:int created_at:int"), "activities_id_seq"},
	{"tasks", cols("id:int title body contact_id:int company_id:int assignee_id:int due_at:int remind_at:int status created_at:int updated_at:int"), "tasks_id_seq"},
	{"audit_log", cols("id:int at:int actor actor_id:int action entity entity_id:int before after"), "audit_log_id_seq"},
	{"saved_views", cols("id:int user_id:int entity name query columns created_at:int"), "saved_views_id_seq"},
	// Sales pipeline (0004_deals.sql); deal_lines refer to products, so they
	// must stay after the commerce tables.
	{"pipelines", cols("id:int name position:int created_at:int updated_at:int"), "pipelines_id_seq"},
	{"pipeline_stages", cols("id:int pipeline_id:int name position:int probability:int kind"), "pipeline_stages_id_seq"},
	{"deals", cols("id:int title sort_title pipeline_id:int stage_id:int amount:int currency expected_close probability:int owner_id:int contact_id:int company_id:int status lost_reason closed_at:int created_at:int updated_at:int"), "deals_id_seq"},
	{"deal_lines", cols("id:int deal_id:int position:int product_id:int sku name quantity:int unit_price:int discount:int tax_rate_bp:int total:int"), "deal_lines_id_seq"},
	{"deal_stage_history", cols("id:int deal_id:int from_stage_id:int to_stage_id:int from_name to_name actor at:int"), "deal_stage_history_id_seq"},
	// Outbound webhooks (0003_webhooks.sql). The signing secrets (secret,
	// prev_secret) are left out: a restored endpoint waits for a rotation.
	{"webhook_endpoints", cols("id:int url description events active:bool failing_since:int disabled_reason created_at:int updated_at:int"), "webhook_endpoints_id_seq"},
	{"webhook_deliveries", cols("id:int endpoint_id:int msg_id event payload status attempts:int max_attempts:int next_attempt_at:int lease_until:int last_code:int last_error created_at:int delivered_at:int"), "webhook_deliveries_id_seq"},
	{"webhook_attempts", cols("id:int delivery_id:int attempt:int at:int response_code:int response_body duration_ms:int error"), "webhook_attempts_id_seq"},
}

func dumpTable(name string) (DumpTable, bool) {
	i := slices.IndexFunc(DumpSchema, func(t DumpTable) bool { return t.Name == name })
	if i < 0 {
		return DumpTable{}, false
	}
	return DumpSchema[i], true
}

func (t DumpTable) names() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// authorizeDump allows a full export or restore to administrators (and the
// CLI): it holds every user, every record and the audit log, more than any
// other role may read.
func authorizeDump(ctx context.Context) (*crm.Actor, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResExport, crm.Write)); err != nil {
		return nil, err
	}
	return crm.Authorize(ctx, crm.P(crm.ResUsers, crm.Write))
}

// DumpTables streams every table of DumpSchema from one consistent
// snapshot. fn is called once per table; its rows function calls yield
// once per row (ordered by primary key) with values typed as the
// DumpColumn says: int64 or nil, string, bool. The slice passed to yield
// is reused. The export is recorded in the audit log when it succeeds.
func (db *DB) DumpTables(ctx context.Context, fn func(t DumpTable, rows func(yield func([]any) error) error) error) error {
	if _, err := authorizeDump(ctx); err != nil {
		return err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect.name() == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return db.mapErr(err)
	}
	defer rtx.Rollback()
	counts := map[string]int{}
	for _, t := range DumpSchema {
		err := fn(t, func(yield func([]any) error) error {
			n, err := db.dumpRows(ctx, rtx, t, yield)
			counts[t.Name] = n
			return err
		})
		if err != nil {
			return err
		}
	}
	rtx.Rollback()
	summary, _ := json.Marshal(map[string]any{"tables": counts})
	return db.inTx(ctx, func(tx *Tx) error {
		return tx.audit(ctx, "export", "database", 0, nil, json.RawMessage(summary))
	})
}

func (db *DB) dumpRows(ctx context.Context, q *sql.Tx, t DumpTable, yield func([]any) error) (int, error) {
	order := "id"
	switch t.Name {
	case "role_settings":
		order = "role"
	case "company_tags":
		order = "company_id, tag"
	case "contact_emails", "contact_phones":
		order = "contact_id, position"
	case "contact_tags":
		order = "contact_id, tag"
	case "settings":
		order = "key"
	case "stock_levels":
		order = "product_id, location"
	case "customer_facts", "preference_links":
		order = "contact_id"
	case "contact_external_ids":
		order = "source, external_id"
	case "segment_members":
		order = "segment_id, contact_id"
	case "segment_changes":
		order = "segment_id, at, contact_id, change"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(t.names(), ", ")+` FROM `+t.Name+` ORDER BY `+order)
	if err != nil {
		return 0, db.mapErr(err)
	}
	defer rows.Close()
	raw := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := make([]any, len(t.Columns))
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range t.Columns {
			if out[i], err = convert(c, raw[i]); err != nil {
				return n, fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
		}
		if err := yield(out); err != nil {
			return n, err
		}
		n++
	}
	return n, db.mapErr(rows.Err())
}

// convert brings a value from a driver or from a decoded export to the
// column's type. JSON numbers arrive as json.Number or float64.
func convert(c DumpColumn, v any) (any, error) {
	if v == nil {
		if c.Type == TypeText {
			return "", nil
		}
		return nil, nil
	}
	switch c.Type {
	case TypeInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int:
			return int64(x), nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		case json.Number:
			return x.Int64()
		}
	case TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case TypeText:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) is not %s", v, v, c.Type)
}
