/**
 * Touch gestures of the case viewer, as arithmetic the page applies: one finger moving vertically
 * pages through slices (up: the next ones, as a phone viewer's swipe), two fingers pinching zoom by
 * the change of their distance.
 */

/** Slice after a vertical swipe from startY to y that began on startSlice: one slice per `pixelsPerSlice`. */
export const swipeSlice = (startSlice: number, startY: number, y: number, pixelsPerSlice = 12): number => startSlice + Math.round((startY - y) / pixelsPerSlice);

/** Distance between two touch points. */
export const touchDistance = (a: { clientX: number; clientY: number }, b: { clientX: number; clientY: number }): number => Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);

/** Zoom after a pinch that began at startZoom with the fingers startDistance apart and now `distance` apart (the caller clamps it). */
export const pinchZoom = (startZoom: number, startDistance: number, distance: number): number => (startDistance > 0 ? (startZoom * distance) / startDistance : startZoom);
