import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => {
  cleanup();
  localStorage.clear();
});

// jsdom has no <dialog> methods: showModal opens (the open attribute), close closes.
const dialogProto = HTMLDialogElement.prototype as Partial<HTMLDialogElement>;
dialogProto.showModal ??= function (this: HTMLDialogElement) {
  this.setAttribute("open", "");
};
dialogProto.close ??= function (this: HTMLDialogElement) {
  this.removeAttribute("open");
};
