// Turn a drawing into the 8x8 input of the model, the way scikit-learn's
// `load_digits` images were made (UCI "optdigits"): the digit is normalised
// into a 32x32 black-and-white bitmap, then every non-overlapping 4x4 block is
// replaced by its number of "on" pixels, giving integers 0..16 (ink = high).
//
// Properties of that data set this code imitates (measured on all 1797 images):
//  * every digit touches the top and the bottom row: its bounding box is scaled
//    to the full height of the box (aspect ratio kept, so typically 5-6 of the
//    8 columns are used) and centred horizontally;
//  * strokes are thick: on average 312 of the 1024 bitmap pixels are on (the
//    sum of the 64 values), for thin digits such as "1" as much as for "8".
// So: the strokes are re-rendered as vectors into a 32x32 canvas with the
// bounding box fitted and centred, trying several pen widths and keeping the
// one whose ink count is closest to the data set's average.

export const GRID = 8;
export const BITMAP = 32;
export const BLOCK = BITMAP / GRID; // 4
export const TARGET_INK = 312; // mean sum of the 64 values in load_digits
const PEN_WIDTHS = [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 9];

/** Bounding box of all points of all strokes, or null when there are none. */
export function strokesBBox(strokes) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const stroke of strokes) {
    for (const p of stroke) {
      if (p.x < minX) minX = p.x;
      if (p.y < minY) minY = p.y;
      if (p.x > maxX) maxX = p.x;
      if (p.y > maxY) maxY = p.y;
    }
  }
  return minX === Infinity ? null : { minX, minY, maxX, maxY };
}

function renderStrokes(ctx, strokes, box, penWidth, minExtent) {
  const w = box.maxX - box.minX;
  const h = box.maxY - box.minY;
  const extent = Math.max(w, h, minExtent);
  const scale = (BITMAP - penWidth) / extent;
  const cx = (box.minX + box.maxX) / 2;
  const cy = (box.minY + box.maxY) / 2;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, BITMAP, BITMAP);
  ctx.setTransform(scale, 0, 0, scale, BITMAP / 2 - cx * scale, BITMAP / 2 - cy * scale);
  ctx.lineWidth = penWidth / scale;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  ctx.fillStyle = "#000";
  for (const stroke of strokes) {
    if (stroke.length === 0) continue;
    if (stroke.length === 1) {
      ctx.beginPath();
      ctx.arc(stroke[0].x, stroke[0].y, penWidth / scale / 2, 0, Math.PI * 2);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(stroke[0].x, stroke[0].y);
    for (let i = 1; i < stroke.length; i++) ctx.lineTo(stroke[i].x, stroke[i].y);
    ctx.stroke();
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const alpha = ctx.getImageData(0, 0, BITMAP, BITMAP).data;
  const pixels = new Array(GRID * GRID).fill(0);
  let ink = 0;
  for (let y = 0; y < BITMAP; y++) {
    for (let x = 0; x < BITMAP; x++) {
      if (alpha[(y * BITMAP + x) * 4 + 3] >= 128) {
        pixels[Math.floor(y / BLOCK) * GRID + Math.floor(x / BLOCK)] += 1;
        ink += 1;
      }
    }
  }
  return { pixels, ink };
}

/**
 * strokes: [[{x, y}, ...], ...] in any coordinate system (y down).
 * canvasSize: size of the drawing surface in the same units (limits how much a
 *             tiny scribble gets blown up).
 * Returns {pixels: number[64] (ints 0..16, row-major), penWidth, ink} or null.
 */
export function strokesToPixels(strokes, canvasSize, scratch) {
  const box = strokesBBox(strokes);
  if (!box) return null;
  const canvas = scratch || makeScratch();
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const minExtent = canvasSize * 0.08;
  let best = null;
  for (const penWidth of PEN_WIDTHS) {
    const r = renderStrokes(ctx, strokes, box, penWidth, minExtent);
    const err = Math.abs(r.ink - TARGET_INK);
    if (!best || err < best.err) best = { ...r, penWidth, err };
    if (r.ink > TARGET_INK) break; // ink grows with the pen width
  }
  return { pixels: best.pixels, penWidth: best.penWidth, ink: best.ink };
}

function makeScratch() {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(BITMAP, BITMAP);
  const c = document.createElement("canvas");
  c.width = BITMAP;
  c.height = BITMAP;
  return c;
}

/** Paint 64 values 0..16 into an 8x8 canvas: dark ink on white paper. */
export function paintPixels(canvas, pixels) {
  canvas.width = GRID;
  canvas.height = GRID;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(GRID, GRID);
  for (let i = 0; i < GRID * GRID; i++) {
    const v = Math.max(0, Math.min(16, Number(pixels[i]) || 0));
    const g = Math.round(255 - (v / 16) * 235); // 16 -> near black, 0 -> white
    img.data[i * 4] = g;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = g + Math.round((v / 16) * 12); // hint of ink blue
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
