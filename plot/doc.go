// Package plot turns what a program prints into line charts and draws
// them as SVG. It owns two things: the rule that decides which printed
// lines are readings (and which series each number belongs to), and the
// chart itself: its series, the rolling window of points it draws, and
// the SVG it renders.
//
// The rule, after Thonny's plotter: a line is a reading when it holds
// numbers and nothing else but separators (spaces, tabs, commas,
// semicolons, bars) and labels written as "name:" or "name=" before a
// number. Lines with the same shape feed the same series:
//
//	21.5 40          series "1" and "2"
//	temp: 21.5, hum=40   series "temp" and "hum"
//	wifi connected   not a reading: printed as text
//	got 3 packets    not a reading (free text around the number)
//
// Every reading is one sample; the x axis counts samples. A chart keeps
// every point (for a store or a later cell) and draws the last Window of
// them. The SVG needs no JavaScript, so the same picture shows in
// Notebook, Lab, VS Code, nbconvert's HTML and GitHub's viewer.
//
// Nothing here knows about Jupyter or boards: package router feeds a
// board cell's output through a Chart, and the host's display package
// draws Go values with the same renderer.
package plot
