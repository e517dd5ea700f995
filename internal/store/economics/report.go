package economics

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// customer is one customer's sums while the report is built.
type customer struct {
	crm.Economics
	owner   sql.NullInt64
	channel string
	// Retention costs: messages to them and their account manager's time
	// after their first purchase.
	retMsg, retStaff float64
	msgCost, staff   float64
	newMonth         int // month of the first purchase in the period, -1 if none
	ownerKnown       bool
}

// Open-ended rates end on this day.
const farDay = 2147483647

// EconomicsReport sets revenue against costs per customer, segment and
// account manager for the period. Every figure is summed by SQL per
// customer (purchases from customer_days, COGS from the order lines with
// the product cost in effect, messages from the outbox, staff time from
// the activities) and folded in Go.
func (s *Store) EconomicsReport(ctx context.Context, f crm.EconomicsFilter) (*crm.EconomicsReport, error) {
	if !crm.ValidEconomicsSort(f.Sort) {
		var v crm.Validation
		v.Add("sort", "invalid_sort")
		return nil, v.Err()
	}
	sc, err := s.scope(ctx, f.From, f.To, f.Calendar, 12)
	if err != nil {
		return nil, err
	}
	rep := &crm.EconomicsReport{From: sc.from, To: sc.to, Currency: sc.currency, Calendar: sc.cal, Restricted: sc.owner != 0}
	s, done, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	custs := map[int64]*customer{}
	get := func(id int64) *customer {
		c := custs[id]
		if c == nil {
			c = &customer{newMonth: -1}
			custs[id] = c
		}
		return c
	}
	steps := []func(context.Context, *scope, *crm.EconomicsReport, func(int64) *customer) error{
		s.econPurchases, s.econCOGS, s.econMessages, s.econStaff, s.econAcquisition,
	}
	if f.RetentionOnly {
		steps = []func(context.Context, *scope, *crm.EconomicsReport, func(int64) *customer) error{
			s.econPurchases, s.econMessages, s.econStaff, s.econAcquisition,
		}
	}
	for _, step := range steps {
		if err := step(ctx, sc, rep, get); err != nil {
			return nil, err
		}
	}
	if f.RetentionOnly {
		var msg, staff float64
		for _, c := range custs {
			msg += c.retMsg
			staff += c.retStaff
		}
		rep.Retention.RetentionMessages = int64(math.Round(msg))
		rep.Retention.RetentionStaff = int64(math.Round(staff))
		rep.Retention.Finish()
		return rep, nil
	}
	if err := s.econGroups(ctx, sc, rep, custs, f); err != nil {
		return nil, err
	}
	if err := s.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM costs WHERE currency <> $1`, sc.currency).Scan(&rep.OtherCurrency); err != nil {
		return nil, s.db.MapErr(err)
	}
	return rep, nil
}

// econPurchases reads each customer's purchases and revenue (credit
// notes netted) from customer_days, and the returning purchases: all
// purchases less the first purchases of the period. Guests are the day
// sums less the customers'.
func (s *Store) econPurchases(ctx context.Context, sc *scope, rep *crm.EconomicsReport, get func(int64) *customer) error {
	q := &query{}
	from, to := q.arg(store.MS(sc.from)/dayMS), q.arg(store.MS(sc.to)/dayMS)
	cur := q.arg(sc.currency)
	var orders, revenue int64
	owner := ""
	if sc.owner != 0 {
		owner = " AND ct.owner_id = " + q.arg(sc.owner)
	}
	err := s.eachRow(ctx, q, `SELECT x.contact_id, x.n, x.rev, ct.owner_id FROM (
  SELECT cd.contact_id, CAST(SUM(cd.orders) AS BIGINT) AS n, CAST(SUM(CASE WHEN cd.currency = `+cur+` THEN cd.revenue ELSE 0 END) AS BIGINT) AS rev
  FROM customer_days cd WHERE cd.day >= `+from+` AND cd.day < `+to+` GROUP BY cd.contact_id) x
JOIN contacts ct ON ct.id = x.contact_id`+owner,
		func(r *sql.Rows) error {
			var id, n, rev int64
			var own sql.NullInt64
			if err := r.Scan(&id, &n, &rev, &own); err != nil {
				return err
			}
			c := get(id)
			c.owner, c.ownerKnown = own, true
			c.Orders += int(n)
			c.Revenue += rev
			orders += n
			revenue += rev
			return nil
		})
	if err != nil {
		return err
	}
	rep.Retention.ReturningPurchases = int(orders)
	if sc.owner == 0 {
		var n, rev int64
		if err := s.rd.QueryRowContext(ctx, `SELECT COALESCE(CAST(SUM(orders) AS BIGINT), 0), COALESCE(CAST(SUM(CASE WHEN currency = $3 THEN revenue ELSE 0 END) AS BIGINT), 0)
FROM sales_days WHERE day >= $1 AND day < $2`, store.MS(sc.from)/dayMS, store.MS(sc.to)/dayMS, sc.currency).Scan(&n, &rev); err != nil {
			return s.db.MapErr(err)
		}
		rep.Guests.Orders = int(n - orders)
		rep.Guests.Revenue = rev - revenue
	}
	return nil
}

// econCOGS prices every order line of the period (purchases and credit
// notes, whose returned units are taken off) at the product cost in
// effect on the day the order was placed; lines of a SKU without one are
// counted as uncosted units. Guest orders are contact 0.
func (s *Store) econCOGS(ctx context.Context, sc *scope, rep *crm.EconomicsReport, get func(int64) *customer) error {
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	cur := q.arg(sc.currency)
	join := ""
	if sc.owner != 0 {
		join = " JOIN contacts own ON own.id = o.contact_id AND own.owner_id = " + q.arg(sc.owner)
	}
	// Orders are read in id order between the period's lowest and
	// highest id (ids grow with time, so that is about the period's
	// orders, read sequentially rather than by the placed_at index).
	// Each line's cost is one seek in the costs key (kind, key, day,
	// currency): the newest product cost on or before the order's day;
	// -1 marks a line without one.
	return s.eachRow(ctx, q, `SELECT contact_id, CAST(SUM(CASE WHEN cost < 0 THEN 0 ELSE sign * cost END) AS BIGINT),
  CAST(SUM(CASE WHEN cost < 0 THEN sign * quantity ELSE 0 END) AS BIGINT)
FROM (SELECT COALESCE(o.contact_id, 0) AS contact_id, CASE WHEN o.kind = 'credit' THEN -1 ELSE 1 END AS sign, l.quantity,
    COALESCE((SELECT (l.quantity * c.amount + c.per / 2) / c.per FROM costs c
      WHERE c.kind = 'product' AND c.key = l.sku AND c.day <= o.placed_at / 86400000 AND c.currency = `+cur+`
      ORDER BY c.day DESC LIMIT 1), -1) AS cost
  FROM orders o JOIN order_lines l ON l.order_id = o.id`+join+`
  WHERE o.id BETWEEN (SELECT MIN(id) FROM orders WHERE placed_at >= `+from+` AND placed_at < `+to+`)
    AND (SELECT MAX(id) FROM orders WHERE placed_at >= `+from+` AND placed_at < `+to+`)
    AND o.placed_at >= `+from+` AND o.placed_at < `+to+` AND o.currency = `+cur+` AND (o.status IN `+purchased+` OR o.kind = 'credit')) x
GROUP BY 1`, func(r *sql.Rows) error {
		var id, cogs, uncosted int64
		if err := r.Scan(&id, &cogs, &uncosted); err != nil {
			return err
		}
		if id == 0 {
			rep.Guests.COGS += cogs
			rep.Guests.UncostedUnits += uncosted
			return nil
		}
		c := get(id)
		c.COGS += cogs
		c.UncostedUnits += uncosted
		return nil
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// econMessages counts the messages sent in the period per customer and
// email rate in effect when sent, apart those to existing customers
// (first purchase before the message): retention spend.
func (s *Store) econMessages(ctx context.Context, sc *scope, rep *crm.EconomicsReport, get func(int64) *customer) error {
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	cur := q.arg(sc.currency)
	owner := ""
	if sc.owner != 0 {
		owner = " AND ct.owner_id = " + q.arg(sc.owner)
	}
	return s.eachRow(ctx, q, `WITH r AS (SELECT day AS from_day, COALESCE(LEAD(day) OVER (ORDER BY day), `+itoa(farDay)+`) AS to_day, amount, per
  FROM costs WHERE kind = 'message' AND key = 'email' AND currency = `+cur+`)
SELECT m.contact_id, COALESCE(r.amount, 0), COALESCE(r.per, 1), CASE WHEN cf.first_at < m.sent_at THEN 1 ELSE 0 END, ct.owner_id, COUNT(*)
FROM mail_outbox m JOIN contacts ct ON ct.id = m.contact_id`+owner+`
LEFT JOIN r ON m.sent_at >= r.from_day * 86400000 AND m.sent_at < r.to_day * 86400000
LEFT JOIN customer_firsts cf ON cf.contact_id = m.contact_id
WHERE m.status = 'sent' AND m.sent_at >= `+from+` AND m.sent_at < `+to+` AND m.contact_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5`, func(r *sql.Rows) error {
		var id, amount, per, existing, n int64
		var own sql.NullInt64
		if err := r.Scan(&id, &amount, &per, &existing, &own, &n); err != nil {
			return err
		}
		c := get(id)
		c.owner, c.ownerKnown = own, true
		cost := float64(n*amount) / float64(per)
		c.Messages += int(n)
		c.msgCost += cost
		if existing == 1 {
			c.retMsg += cost
		}
		return nil
	})
}

// econStaff prices the logged staff time of the period per customer at
// the rate of the activity's kind (else the * rate) in effect when it
// happened; time the contact's account manager spent after the first
// purchase is retention spend.
func (s *Store) econStaff(ctx context.Context, sc *scope, rep *crm.EconomicsReport, get func(int64) *customer) error {
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	cur := q.arg(sc.currency)
	owner := ""
	if sc.owner != 0 {
		owner = " AND ct.owner_id = " + q.arg(sc.owner)
	}
	return s.eachRow(ctx, q, `WITH r AS (SELECT key, day AS from_day, COALESCE(LEAD(day) OVER (PARTITION BY key ORDER BY day), `+itoa(farDay)+`) AS to_day, amount, per
  FROM costs WHERE kind = 'staff' AND currency = `+cur+`)
SELECT a.contact_id, COALESCE(rk.amount, ra.amount, 0), COALESCE(rk.per, ra.per, 1),
  CASE WHEN cf.first_at < a.occurred_at AND a.author_id = ct.owner_id THEN 1 ELSE 0 END, ct.owner_id, CAST(SUM(a.duration_sec) AS BIGINT)
FROM activities a JOIN contacts ct ON ct.id = a.contact_id
LEFT JOIN r rk ON rk.key = a.kind AND a.occurred_at >= rk.from_day * 86400000 AND a.occurred_at < rk.to_day * 86400000
LEFT JOIN r ra ON ra.key = '*' AND a.occurred_at >= ra.from_day * 86400000 AND a.occurred_at < ra.to_day * 86400000
LEFT JOIN customer_firsts cf ON cf.contact_id = a.contact_id
WHERE a.occurred_at >= `+from+` AND a.occurred_at < `+to+` AND a.duration_sec > 0`+owner+`
GROUP BY 1, 2, 3, 4, 5`, func(r *sql.Rows) error {
		var id, amount, per, existing, sec int64
		var own sql.NullInt64
		if err := r.Scan(&id, &amount, &per, &existing, &own, &sec); err != nil {
			return err
		}
		c := get(id)
		c.owner, c.ownerKnown = own, true
		cost := float64(sec*amount) / float64(60*per)
		c.StaffMinutes += sec
		c.staff += cost
		if existing == 1 {
			c.retStaff += cost
		}
		return nil
	})
}

// econAcquisition spreads each acquisition cost over the days of its
// month, sums the period's share per channel and month of the report's
// calendar, and allocates it to the customers whose first purchase came
// through the channel in that month (all customers count, so an own-only
// user's customers carry the same cost per customer as everyone's).
func (s *Store) econAcquisition(ctx context.Context, sc *scope, rep *crm.EconomicsReport, get func(int64) *customer) error {
	type key struct {
		channel string
		month   int
	}
	spend := map[key]float64{}
	q := &query{}
	cur := q.arg(sc.currency)
	err := s.eachRow(ctx, q, `SELECT key, day, amount FROM costs WHERE kind = 'acquisition' AND currency = `+cur, func(r *sql.Rows) error {
		var channel string
		var day, amount int64
		if err := r.Scan(&channel, &day, &amount); err != nil {
			return err
		}
		start := time.Unix(day*86400, 0).UTC()
		end := start.AddDate(0, 1, 0)
		n := end.Sub(start).Hours() / 24
		for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
			if d.Before(sc.from) || !d.Before(sc.to) {
				continue
			}
			spend[key{channel, sc.monthOf(d)}] += float64(amount) / n
		}
		return nil
	})
	if err != nil {
		return err
	}
	type newc struct {
		id    int64
		owner sql.NullInt64
	}
	news := map[key][]newc{}
	q = &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	err = s.eachRow(ctx, q, `SELECT cf.contact_id, cf.first_at, ct.owner_id,
  COALESCE(NULLIF(LOWER(TRIM(ct.source)), ''), (SELECT o.channel FROM orders o WHERE o.contact_id = cf.contact_id AND o.placed_at = cf.first_at
    AND o.kind = 'order' ORDER BY o.id LIMIT 1), '')
FROM customer_firsts cf JOIN contacts ct ON ct.id = cf.contact_id
WHERE cf.first_at >= `+from+` AND cf.first_at < `+to, func(r *sql.Rows) error {
		var n newc
		var first int64
		var channel string
		if err := r.Scan(&n.id, &first, &n.owner, &channel); err != nil {
			return err
		}
		k := key{channel, sc.monthOf(store.FromMS(first))}
		news[k] = append(news[k], n)
		return nil
	})
	if err != nil {
		return err
	}
	keys := map[key]bool{}
	for k := range spend {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var rows []crm.ChannelMonth
	var total float64
	for k := range keys {
		if k.month < 0 || k.month >= len(sc.months) {
			continue
		}
		sp := spend[k]
		mine := 0
		for _, n := range news[k] {
			if sc.owner != 0 && (!n.owner.Valid || n.owner.Int64 != sc.owner) {
				continue
			}
			mine++
			c := get(n.id)
			c.owner, c.ownerKnown = n.owner, true
			c.NewCustomers = 1
			c.channel = k.channel
			if len(news[k]) > 0 {
				c.Acquisition = int64(math.Round(sp / float64(len(news[k]))))
			}
		}
		row := crm.ChannelMonth{Channel: k.channel, Start: sc.months[k.month], NewCustomers: mine}
		switch {
		case sc.owner == 0:
			row.Spend = int64(math.Round(sp))
			total += sp
			if len(news[k]) == 0 {
				rep.Unallocated += row.Spend
			}
		case len(news[k]) > 0:
			// An own-only user sees the share of their customers.
			row.Spend = int64(math.Round(sp * float64(mine) / float64(len(news[k]))))
			total += sp * float64(mine) / float64(len(news[k]))
		}
		if mine == 0 && row.Spend == 0 {
			continue
		}
		if row.NewCustomers > 0 {
			v := float64(row.Spend) / float64(row.NewCustomers)
			row.CAC = &v
		}
		rows = append(rows, row)
		rep.Retention.NewCustomers += mine
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].Start.Equal(rows[j].Start) {
			return rows[i].Start.Before(rows[j].Start)
		}
		return rows[i].Channel < rows[j].Channel
	})
	rep.Channels = rows
	rep.Retention.AcquisitionSpend = int64(math.Round(total))
	// Returning purchases are the period's purchases less first ones.
	rep.Retention.ReturningPurchases -= rep.Retention.NewCustomers
	return nil
}

// econGroups finishes every customer, totals them, groups them by
// segment and account manager and cuts the page of the list.
func (s *Store) econGroups(ctx context.Context, sc *scope, rep *crm.EconomicsReport, custs map[int64]*customer, f crm.EconomicsFilter) error {
	var retMsg, retStaff float64
	var unknown []int // customers without purchases: their owners are read below
	list := make([]crm.CustomerEconomics, 0, len(custs))
	byOwner := map[int64]*crm.GroupEconomics{}
	for id, c := range custs {
		c.MessageCost = int64(math.Round(c.msgCost))
		c.StaffCost = int64(math.Round(c.staff))
		c.StaffMinutes = int64(math.Round(float64(c.StaffMinutes) / 60))
		if c.Orders > 0 {
			c.Customers = 1
		}
		c.Finish()
		retMsg += c.retMsg
		retStaff += c.retStaff
		rep.Totals.Add(&c.Economics)
		ce := crm.CustomerEconomics{ContactID: id, Channel: c.channel, Economics: c.Economics}
		if c.owner.Valid {
			v := c.owner.Int64
			ce.OwnerID = &v
		}
		if !c.ownerKnown {
			unknown = append(unknown, len(list))
		}
		list = append(list, ce)
	}
	rep.Retention.RetentionMessages = int64(math.Round(retMsg))
	rep.Retention.RetentionStaff = int64(math.Round(retStaff))
	rep.Retention.Finish()
	rep.Guests.Finish()
	rep.Totals.Finish()
	rep.CustomerCount = len(list)
	index := make(map[int64]int, len(list))
	for i := range list {
		index[list[i].ContactID] = i
	}
	if err := s.contactInfo(ctx, list, unknown); err != nil {
		return err
	}
	for i := range list {
		var owner int64
		if list[i].OwnerID != nil {
			owner = *list[i].OwnerID
		}
		g := byOwner[owner]
		if g == nil {
			g = &crm.GroupEconomics{ID: owner}
			byOwner[owner] = g
		}
		g.Add(&list[i].Economics)
	}
	names := map[int64]string{}
	q := &query{}
	if err := s.eachRow(ctx, q, `SELECT id, name FROM users`, func(r *sql.Rows) error {
		var id int64
		var name string
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
		return nil
	}); err != nil {
		return err
	}
	for id, g := range byOwner {
		g.Name = names[id]
		rep.Managers = append(rep.Managers, *g)
	}
	sort.Slice(rep.Managers, func(i, j int) bool { return rep.Managers[i].Profit > rep.Managers[j].Profit })
	if err := s.econSegments(ctx, rep, list, index); err != nil {
		return err
	}
	sortCustomers(list, f.Sort)
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 20
	}
	off := max(f.Offset, 0)
	if off > len(list) {
		off = len(list)
	}
	end := min(off+limit, len(list))
	rep.Customers = list[off:end]
	return s.contactNames(ctx, rep.Customers)
}

// sortCustomers orders the list by the sort, ties by contact id.
func sortCustomers(list []crm.CustomerEconomics, by string) {
	if by == "" {
		by = "-profit"
	}
	desc := strings.HasPrefix(by, "-")
	val := func(c *crm.CustomerEconomics) int64 {
		switch strings.TrimPrefix(by, "-") {
		case "revenue":
			return c.Revenue
		case "cost":
			return c.COGS + c.CostToServe + c.Acquisition
		}
		return c.Profit
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := val(&list[i]), val(&list[j])
		if a != b {
			return (a > b) == desc
		}
		return list[i].ContactID < list[j].ContactID
	})
}

// contactInfo reads the owners of the listed customers at the indexes
// given (those without purchases in the period), in chunks.
func (s *Store) contactInfo(ctx context.Context, list []crm.CustomerEconomics, at []int) error {
	const chunk = 500
	for start := 0; start < len(at); start += chunk {
		q := &query{}
		var ph []string
		index := map[int64]int{}
		for _, i := range at[start:min(start+chunk, len(at))] {
			ph = append(ph, q.arg(list[i].ContactID))
			index[list[i].ContactID] = i
		}
		err := s.eachRow(ctx, q, `SELECT id, owner_id FROM contacts WHERE id IN (`+strings.Join(ph, ",")+`)`, func(r *sql.Rows) error {
			var id int64
			var owner sql.NullInt64
			if err := r.Scan(&id, &owner); err != nil {
				return err
			}
			if owner.Valid {
				v := owner.Int64
				list[index[id]].OwnerID = &v
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// contactNames names the customers of the page.
func (s *Store) contactNames(ctx context.Context, page []crm.CustomerEconomics) error {
	if len(page) == 0 {
		return nil
	}
	q := &query{}
	var ph []string
	at := map[int64]int{}
	for i, c := range page {
		ph = append(ph, q.arg(c.ContactID))
		at[c.ContactID] = i
	}
	return s.eachRow(ctx, q, `SELECT id, first_name, last_name, email FROM contacts WHERE id IN (`+strings.Join(ph, ",")+`)`, func(r *sql.Rows) error {
		var id int64
		var first, last, email string
		if err := r.Scan(&id, &first, &last, &email); err != nil {
			return err
		}
		name := strings.TrimSpace(first + " " + last)
		if name == "" {
			name = email
		}
		page[at[id]].Name = name
		return nil
	})
}

// econSegments sums the customers of every segment (segment_members).
func (s *Store) econSegments(ctx context.Context, rep *crm.EconomicsReport, list []crm.CustomerEconomics, index map[int64]int) error {
	groups := map[int64]*crm.GroupEconomics{}
	var order []int64
	q := &query{}
	if err := s.eachRow(ctx, q, `SELECT id, name FROM segments ORDER BY name, id`, func(r *sql.Rows) error {
		var g crm.GroupEconomics
		if err := r.Scan(&g.ID, &g.Name); err != nil {
			return err
		}
		groups[g.ID] = &g
		order = append(order, g.ID)
		return nil
	}); err != nil {
		return err
	}
	if len(order) == 0 {
		return nil
	}
	q = &query{}
	err := s.eachRow(ctx, q, `SELECT segment_id, contact_id FROM segment_members`, func(r *sql.Rows) error {
		var seg, id int64
		if err := r.Scan(&seg, &id); err != nil {
			return err
		}
		i, ok := index[id]
		if g := groups[seg]; ok && g != nil {
			g.Add(&list[i].Economics)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range order {
		rep.Segments = append(rep.Segments, *groups[id])
	}
	return nil
}
