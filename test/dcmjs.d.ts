/**
 * dcmjs ships no types. The tests use it as an independent reader (it is what OHIF uses); its naturalised
 * data sets are untyped by nature.
 */
declare module 'dcmjs' {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const dcmjs: any;
  export default dcmjs;
}
