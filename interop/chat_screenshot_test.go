//go:build linux

package interop

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
)

// chatBox is a rectangle in CSS pixels, as getBoundingClientRect gives
// it; with a device scale factor of 1 they are the screenshot's pixels.
type chatBox struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// rect returns the pixels the box covers.
func (b chatBox) rect() image.Rectangle {
	return image.Rect(int(math.Floor(b.X)), int(math.Floor(b.Y)),
		int(math.Ceil(b.X+b.Width)), int(math.Ceil(b.Y+b.Height)))
}

// Thresholds of the screenshot check, in luma from 0 to 255.
const (
	chatDarkLuma  = 96  // text: #111 on the page
	chatLightLuma = 224 // background: #fff
	// chatMinInk is the fewest dark pixels that make a line of text: a
	// few characters of a 16 px font.
	chatMinInk = 40
)

// pixelCounts are the dark and light pixels of a region.
type pixelCounts struct{ dark, light, all int }

// countPixels counts the dark and light pixels of img in r.
func countPixels(img image.Image, r image.Rectangle) pixelCounts {
	var c pixelCounts
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			red, green, blue, _ := img.At(x, y).RGBA() // 16 bits each
			luma := (299*red + 587*green + 114*blue) / 1000 >> 8
			switch {
			case luma < chatDarkLuma:
				c.dark++
			case luma > chatLightLuma:
				c.light++
			}
			c.all++
		}
	}
	return c
}

// checkChatScreenshot decodes the PNG at path and checks that it is
// width by height pixels and that each of the boxes, the list items that
// hold the messages, shows text: dark pixels on a light background.
func checkChatScreenshot(path string, width, height int, boxes map[string]chatBox) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("the screenshot is not a PNG: %w", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		return fmt.Errorf("the screenshot is %dx%d, want the viewport's %dx%d", b.Dx(), b.Dy(), width, height)
	}
	for what, box := range boxes {
		r := box.rect()
		if !r.In(img.Bounds()) || r.Empty() {
			return fmt.Errorf("%s is at %v, not within the screenshot %v", what, r, img.Bounds())
		}
		c := countPixels(img, r)
		if c.dark < chatMinInk || c.light < c.all/2 {
			return fmt.Errorf("%s at %v does not show as text in the screenshot: %d dark and %d light pixels of %d; want %d dark or more, and half light",
				what, r, c.dark, c.light, c.all, chatMinInk)
		}
	}
	return nil
}
