package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/ecrm/ecrm/internal/i18n"
)

// barChart is a vertical bar chart drawn as SVG on the server: no script,
// and every word and digit in it is the reader's (Persian digits, Jalali
// month names). With several series the bars stack. Colours are SVG
// presentation attributes, not style attributes, so the strict CSP holds;
// text takes the page's colour (currentColor) for dark mode.
//
// For right-to-left readers the categories run right to left and the
// value axis stands on the right, as in Persian print.
type barChart struct {
	ID     string // unique on the page; names the title for aria-labelledby
	Title  string
	Labels []string // one per category
	Series []barSeries
	// Value formats a bar's value; Axis the axis ticks (Value when nil),
	// which can be shorter: whole units of money.
	Value, Axis func(v int64) string
	// Max fixes the top of the scale (0: the largest stack).
	Max int64
	// Ref draws a dashed reference line at that value, labelled RefLabel.
	Ref      int64
	RefLabel string
}

type barSeries struct {
	Name   string
	Fill   string
	Values []int64
}

const (
	chartHeight               = 280
	chartTop, chartBottom     = 24, 220
	chartAxis, chartRightSide = 112, 16
)

func (c barChart) svg(l *i18n.Locale) template.HTML {
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	slot := max(18, min(72, 720/n))
	if n <= 2 {
		slot = 160 // a gauge-like chart still needs room for its reference
	}
	bar := slot * 2 / 3
	width := chartAxis + slot*n + chartRightSide
	// Stacked series have a legend along the bottom, which needs its room
	// even under a few bars (a survey's first month); right to left, the
	// bars keep to the axis side of the widened chart.
	extra := 0
	if len(c.Series) > 1 {
		lw := chartAxis + chartRightSide
		for _, s := range c.Series {
			lw += 20 + 8*len([]rune(s.Name))
		}
		extra = max(0, lw-width)
		width += extra
	}
	top := c.Max
	if top == 0 {
		for i := range n {
			var sum int64
			for _, s := range c.Series {
				sum += s.Values[i]
			}
			top = max(top, sum)
		}
		top = max(top, c.Ref)
	}
	if top <= 0 {
		top = 1
	}
	rtl := l.Dir() == "rtl"
	// x of category i's slot, and of the value axis.
	slotX := func(i int) int {
		if rtl {
			return chartRightSide + extra + (n-1-i)*slot
		}
		return chartAxis + i*slot
	}
	axisX, anchor, textX := chartAxis-4, "end", chartAxis-8
	if rtl {
		axisX, anchor, textX = width-chartAxis+4, "start", width-chartAxis+8
	}
	y := func(v int64) int { return chartBottom - int(float64(v)/float64(top)*(chartBottom-chartTop)) }
	esc := template.HTMLEscapeString
	var b strings.Builder
	axis := c.Axis
	if axis == nil {
		axis = c.Value
	}
	// direction="ltr": the coordinates and anchors below are absolute, and
	// an SVG inside a dir="rtl" page would otherwise flip every anchor.
	// Persian labels still read right to left within themselves.
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title" font-size="12" fill="currentColor" direction="ltr">`,
		width, chartHeight, width, chartHeight, c.ID)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, c.ID, esc(c.Title))
	// The value axis with its top and zero, and a faint middle line.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="currentColor" stroke-opacity="0.5"/>`, axisX, chartTop, axisX, chartBottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="currentColor" stroke-opacity="0.5"/>`,
		min(axisX, slotX(n-1)), chartBottom, max(axisX, slotX(0)+slot, slotX(n-1)+slot), chartBottom)
	for _, v := range []int64{top, top / 2, 0} {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s" dominant-baseline="middle">%s</text>`, textX, y(v), anchor, esc(axis(v)))
	}
	for i, label := range c.Labels {
		x := slotX(i) + (slot-bar)/2
		base := int64(0)
		for _, s := range c.Series {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			y0, y1 := y(base), y(base+v)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>`,
				x, y1, bar, max(1, y0-y1), s.Fill, esc(label+" · "+s.Name+": "+c.Value(v)))
			base += v
		}
		// Labels alternate rows when slots are narrow, so they never overlap.
		ly := chartBottom + 16
		if slot < 64 && i%2 == 1 {
			ly += 16
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, slotX(i)+slot/2, ly, esc(label))
	}
	if c.RefLabel != "" {
		// The line across the plot; its label goes below, with a sample
		// of the line, so it never covers a bar.
		ry := y(c.Ref)
		x0, x1 := min(axisX, slotX(n-1)), max(axisX, slotX(0)+slot)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c2410c" stroke-width="2" stroke-dasharray="6 4"/>`, x0, ry, x1, ry)
		lx, tx, ta := chartAxis, chartAxis+28, "start"
		if rtl {
			lx, tx, ta = width-chartAxis-24, width-chartAxis-28, "end"
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c2410c" stroke-width="2" stroke-dasharray="6 4"/>`, lx, chartHeight-8, lx+24, chartHeight-8)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s" fill="#c2410c">%s</text>`, tx, chartHeight-4, ta, esc(c.RefLabel))
	}
	// A legend when bars stack.
	if len(c.Series) > 1 {
		lx := chartAxis
		if rtl {
			lx = width - chartAxis
		}
		for _, s := range c.Series {
			w := 20 + 8*len([]rune(s.Name))
			rx := lx
			if rtl {
				rx = lx - 12
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`, rx, chartHeight-14, s.Fill)
			tx, ta := lx+16, "start"
			if rtl {
				tx, ta = lx-16, "end"
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s">%s</text>`, tx, chartHeight-4, ta, esc(s.Name))
			if rtl {
				lx -= w
			} else {
				lx += w
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
