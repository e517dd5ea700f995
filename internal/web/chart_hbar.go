package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/ecrm/ecrm/internal/i18n"
)

// hbarChart is a horizontal bar chart drawn as SVG on the server, for
// distributions with many categories (the CLV buckets): one row per
// category, label, bar and count, in a 360-unit-wide viewBox so that on
// a 390-pixel phone screen it is drawn at about its own size and its
// 13-unit text stays legible (a vertical chart of ten bars would shrink
// to half). Right to left, labels stand on the right and bars grow
// leftwards, as in Persian print.
type hbarChart struct {
	ID, Title string
	Labels    []string
	Values    []int64
	Fill      string
	Value     func(int64) string
}

const (
	hbarWidth = 360
	hbarLabel = 112 // label column
	hbarCount = 56  // room for the count after the longest bar
	hbarRow   = 26
)

func (c hbarChart) svg(l *i18n.Locale) template.HTML {
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	var top int64
	for _, v := range c.Values {
		top = max(top, v)
	}
	esc := template.HTMLEscapeString
	rtl := l.Dir() == "rtl"
	span := hbarWidth - hbarLabel - hbarCount
	// x mirrors a left-to-right coordinate for right-to-left readers.
	x := func(v int) int {
		if rtl {
			return hbarWidth - v
		}
		return v
	}
	anchor := func(start bool) string {
		if start != rtl {
			return "start"
		}
		return "end"
	}
	height := n*hbarRow + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart hbar" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title" font-size="13" fill="currentColor" direction="ltr">`,
		hbarWidth, height, hbarWidth, height, c.ID)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, c.ID, esc(c.Title))
	fmt.Fprintf(&b, `<line x1="%d" y1="4" x2="%d" y2="%d" stroke="currentColor" stroke-opacity="0.5"/>`, x(hbarLabel), x(hbarLabel), height-4)
	for i, label := range c.Labels {
		v := c.Values[i]
		y := 4 + i*hbarRow
		mid := y + hbarRow/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s" dominant-baseline="middle">%s</text>`, x(hbarLabel-6), mid, anchor(false), esc(label))
		w := 0
		if top > 0 {
			w = int(int64(span) * v / top)
		}
		if v > 0 {
			w = max(w, 2)
			left := hbarLabel
			if rtl {
				left = hbarWidth - hbarLabel - w
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>`,
				left, y+4, w, hbarRow-8, c.Fill, esc(label+": "+c.Value(v)))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s" dominant-baseline="middle">%s</text>`, x(hbarLabel+w+4), mid, anchor(true), esc(c.Value(v)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
