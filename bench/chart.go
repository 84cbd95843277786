package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// chart draws requests/s at the most clients and the largest size, one
// bar per database, on a log scale, with the standard library only (a
// 3x5 pixel font drawn at 2x).
func (r *results) chart() ([]byte, error) {
	n := r.p.sizes[len(r.p.sizes)-1]
	c := r.p.clients[len(r.p.clients)-1]
	var ids []string
	for _, id := range rowOrder {
		if rows[id].chart != "" {
			ids = append(ids, id)
		}
	}
	const (
		left, right, top, rowH, barH, scale = 150, 90, 50, 34, 12, 2
		width                               = 900
	)
	height := top + len(ids)*rowH + 40
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	ink := color.RGBA{30, 30, 30, 255}
	grey := color.RGBA{220, 220, 220, 255}
	colors := []color.RGBA{{52, 101, 164, 255}, {230, 126, 34, 255}, {46, 160, 67, 255}}
	title := fmt.Sprintf("REQUESTS/S, %d CLIENTS, %s USERS (LOG SCALE)", c, comma(n))
	if r.p.quick {
		title += " - QUICK RUN"
	}
	text(img, 10, 10, title, ink, scale)
	for i, db := range r.p.dbs {
		x := 10 + i*160
		fill(img, image.Rect(x, 28, x+14, 38), colors[i%len(colors)])
		text(img, x+20, 29, strings.ToUpper(dbTitle[db]), ink, scale)
	}
	plotW := width - left - right
	lo, hi := 1.0, 6.0 // 10/s .. 1,000,000/s
	xOf := func(v float64) int {
		if v < 10 {
			v = 10
		}
		f := (math.Log10(v) - lo) / (hi - lo)
		return left + int(math.Min(1, f)*float64(plotW))
	}
	for e := 1; e <= 6; e++ {
		x := xOf(math.Pow(10, float64(e)))
		fill(img, image.Rect(x, top-4, x+1, top+len(ids)*rowH), grey)
		text(img, x-8, top+len(ids)*rowH+6, []string{"", "10", "100", "1K", "10K", "100K", "1M"}[e], ink, scale)
	}
	for k, id := range ids {
		y := top + k*rowH
		text(img, 8, y+8, rows[id].chart, ink, scale)
		for i, db := range r.p.dbs {
			users := n
			if !rows[id].perSize {
				users = 0
			}
			m, ok := r.m[key{id, users, db, c}]
			if !ok || m.rate() <= 0 {
				continue
			}
			by := y + 2 + i*(barH+2)
			x1 := xOf(m.rate())
			fill(img, image.Rect(left, by, x1, by+barH), colors[i%len(colors)])
			text(img, x1+4, by+1, comma(int(math.Round(m.rate()))), ink, scale)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("bench: chart: %w", err)
	}
	return buf.Bytes(), nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// text draws s in the 3x5 font at (x, y), each pixel scale x scale.
func text(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	for _, ch := range strings.ToUpper(s) {
		g, ok := glyphs[ch]
		if !ok {
			g = glyphs[' ']
		}
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row*3+col] == '#' {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += 4 * scale
	}
}

// glyphs is a 3x5 pixel font: 15 cells per glyph, row by row.
var glyphs = map[rune]string{
	' ': "...............",
	'A': ".#.#.#####.##.#",
	'B': "##.#.###.#.###.",
	'C': ".###..#..#...##",
	'D': "##.#.##.##.###.",
	'E': "####..##.#..###",
	'F': "####..##.#..#..",
	'G': ".###..#.##.#.##",
	'H': "#.##.#####.##.#",
	'I': "###.#..#..#.###",
	'J': "..#..#..##.#.#.",
	'K': "#.##.###.#.##.#",
	'L': "#..#..#..#..###",
	'M': "#.########.##.#",
	'N': "##.#.##.##.##.#",
	'O': ".#.#.##.##.#.#.",
	'P': "##.#.###.#..#..",
	'Q': ".#.#.##.###..##",
	'R': "##.#.###.#.##.#",
	'S': ".###...#...###.",
	'T': "###.#..#..#..#.",
	'U': "#.##.##.##.####",
	'V': "#.##.##.##.#.#.",
	'W': "#.##.########.#",
	'X': "#.##.#.#.#.##.#",
	'Y': "#.##.#.#..#..#.",
	'Z': "###..#.#.#..###",
	'0': "####.##.##.####",
	'1': ".#.##..#..#.###",
	'2': "###..#####..###",
	'3': "###..####..####",
	'4': "#.##.####..#..#",
	'5': "####..###..####",
	'6': "####..####.####",
	'7': "###..#..#..#..#",
	'8': "####.#####.####",
	'9': "####.####..####",
	'.': ".............#.",
	',': "..........#.#..",
	'-': "......###......",
	'/': "..#..#.#.#..#..",
	'(': ".#.#..#..#...#.",
	')': ".#...#..#..#.#.",
	'%': "#.#..#.#.#..#.#",
	':': "....#.....#....",
	'=': "...###...###...",
}
