// Prints, as JSON, the URLs that Cloudinary's Node SDKs — the `cloudinary` package (2.11.0) and
// `@cloudinary/url-gen` (1.22.0) — build for avatarkit's conformance cases. The Go test
// (../node_test.go) requests each of them from avatarkit, with only the host changed, and checks
// the answer against what Cloudinary would serve; the case names are those of ../cases_test.go.
//
//   npm ci && npm run urls      # writes ../testdata/node-urls.json
//
// The SDKs run with their defaults (analytics on: every URL ends in ?_a=…); the `cloudinary`
// package signs half of its URLs (short SHA-1, or long SHA-256) with the secret below, which the
// Go test configures avatarkit with. url-gen is a browser SDK: it does not sign.
import { createHash } from "node:crypto";
import { v2 as cloudinary } from "cloudinary";
import { CloudinaryImage } from "@cloudinary/url-gen";
import { fill, scale, fit, limitFit, minimumFit, limitFill, pad, limitPad, minimumPad, crop, thumbnail, fillPad, auto as autoCrop } from "@cloudinary/url-gen/actions/resize";
import { dpr, format, quality, defaultImage } from "@cloudinary/url-gen/actions/delivery";
import { byRadius, max } from "@cloudinary/url-gen/actions/roundCorners";
import { byAngle, mode } from "@cloudinary/url-gen/actions/rotate";
import { autoRight, horizontalFlip, verticalFlip, ignore } from "@cloudinary/url-gen/qualifiers/rotationMode";
import { trim } from "@cloudinary/url-gen/actions/reshape";
import { solid } from "@cloudinary/url-gen/actions/border";
import { name as named } from "@cloudinary/url-gen/actions/namedTransformation";
import { focusOn, autoGravity, compass } from "@cloudinary/url-gen/qualifiers/gravity";
import { face } from "@cloudinary/url-gen/qualifiers/focusOn";
import { north, northWest } from "@cloudinary/url-gen/qualifiers/compass";
import { auto as bgAuto, predominant, color as bgColor } from "@cloudinary/url-gen/qualifiers/background";
import * as Effect from "@cloudinary/url-gen/actions/effect";
import * as Adjust from "@cloudinary/url-gen/actions/adjust";
import { progressive, lossy, png8, attachment, immutableCache, stripProfile, keepIptc } from "@cloudinary/url-gen/qualifiers/flag";
import { auto as fAuto, png, webp, avif } from "@cloudinary/url-gen/qualifiers/format";
import { auto as qAuto, autoGood } from "@cloudinary/url-gen/qualifiers/quality";
import { ar16X9, ignoreInitialAspectRatio as ignoreRatio } from "@cloudinary/url-gen/qualifiers/aspectRatio";

const secret = "conformance-secret-4f1c2a";
const cloud = "demo";
const host = "avatars.example.com";

const md5 = (s) => createHash("md5").update(s).digest("hex");
const types = [
  { type: "facebook", id: "10158273645190234", missing: "10000000000000001" },
  { type: "twitter", id: "1453287346851024897", missing: "1000000000000000001" },
  { type: "twitter_name", id: "wide_lens", missing: "nobody_here_1" },
  { type: "gravatar", id: md5("ada.lovelace@example.com"), missing: "00000000000000000000000000000000" },
];

const fill100 = { crop: "fill", width: 100, height: 100 };

// The cases with the `cloudinary` package's options: [name, options, missing user].
const nodeCases = [
  ["plain", { format: "jpg" }],
  ["plain_png", { format: "png" }],
  ["plain_noext", {}],
  ["plain_webp", { format: "webp" }],
  ["plain_gif", { format: "gif" }],
  ["width", { width: 100 }],
  ["height", { height: 100, format: "jpg" }],
  ["scale", { width: 200, height: 100, crop: "scale", format: "jpg" }],
  ["fraction", { width: 0.5, crop: "scale", format: "jpg" }],
  ["fit", { width: 200, height: 100, crop: "fit", format: "jpg" }],
  ["limit", { width: 400, height: 400, crop: "limit", format: "jpg" }],
  ["mfit", { width: 100, height: 100, crop: "mfit", format: "jpg" }],
  ["fill", { width: 90, height: 90, crop: "fill", format: "jpg" }],
  ["fill_face", { width: 90, height: 90, crop: "fill", gravity: "face", format: "jpg" }],
  ["fill_north", { width: 200, height: 100, crop: "fill", gravity: "north", format: "png" }],
  ["lfill", { width: 2000, height: 2000, crop: "lfill", format: "jpg" }],
  ["pad", { width: 200, height: 100, crop: "pad", background: "white", format: "jpg" }],
  ["lpad", { width: 1200, height: 1200, crop: "lpad", format: "png" }],
  ["mpad", { width: 100, height: 100, crop: "mpad", format: "jpg" }],
  ["crop", { width: 50, height: 50, crop: "crop", format: "jpg" }],
  ["crop_xy", { width: 60, height: 50, x: 10, y: 20, crop: "crop", gravity: "north_west", format: "jpg" }],
  ["crop_ar", { aspect_ratio: "1.0", crop: "crop", format: "jpg" }],
  ["thumb_circle", { transformation: [{ width: 150, height: 150, crop: "thumb", gravity: "face" }, { radius: "max" }], format: "png" }],
  ["thumb_zoom", { width: 100, height: 100, crop: "thumb", gravity: "face", zoom: 0.7, format: "jpg" }],
  ["aspect", { aspect_ratio: "16:9", crop: "fill", width: 320, format: "jpg" }],
  ["auto_crop", { width: 100, height: 100, crop: "auto", gravity: "auto", format: "jpg" }],
  ["fill_pad", { width: 200, height: 100, crop: "fill_pad", gravity: "auto", background: "auto", format: "jpg" }],
  ["pad_auto", { width: 100, height: 200, crop: "pad", background: "auto:predominant", format: "png" }],
  ["dpr_component", { transformation: [fill100, { dpr: "2.0" }], format: "jpg" }],
  ["dpr_inline", { ...fill100, dpr: 2, format: "jpg" }],
  ["dpr_width", { width: 100, dpr: 3, format: "png" }],
  ["dpr_auto_nohint", { transformation: [fill100, { dpr: "auto" }], format: "jpg" }],
  ["dpr_auto_hint", { transformation: [fill100, { dpr: "auto" }], format: "jpg" }],
  ["width_auto_fallback", { width: "auto:100:300", crop: "limit", format: "jpg" }],
  ["width_auto_hint", { width: "auto:100:300", aspect_ratio: "1.0", crop: "fill", format: "jpg" }],
  ["width_auto_dpr", { width: "auto", dpr: "auto", aspect_ratio: "1.0", crop: "fill", format: "jpg" }],
  ["radius", { radius: 20, format: "png" }],
  ["circle_jpg", { transformation: [fill100, { radius: "max" }], format: "jpg" }],
  ["border", { ...fill100, border: { width: 4, color: "black" }, format: "jpg" }],
  ["circle_border", { ...fill100, radius: "max", border: { width: 2, color: "#ff0000" }, format: "png" }],
  ["rotate_90", { angle: 90, format: "jpg" }],
  ["rotate_minus_20", { angle: -20, format: "png" }],
  ["rotate_45_bg", { angle: 45, background: "#336699", format: "jpg" }],
  ["hflip", { angle: "hflip", format: "jpg" }],
  ["vflip", { angle: "vflip", format: "jpg" }],
  ["auto_right", { angle: "auto_right", crop: "fill", width: 100, height: 200, format: "jpg" }],
  ["exif", { angle: "exif", format: "jpg" }],
  ["ignore", { angle: "ignore", format: "jpg" }],
  ["grayscale", { effect: "grayscale", format: "jpg" }],
  ["sepia", { effect: "sepia:50", format: "jpg" }],
  ["blur", { effect: "blur:300", format: "jpg" }],
  ["pixelate", { effect: "pixelate:10", format: "jpg" }],
  ["sharpen", { effect: "sharpen", format: "jpg" }],
  ["negate", { effect: "negate", format: "jpg" }],
  ["brightness", { effect: "brightness:20", format: "jpg" }],
  ["contrast", { effect: "contrast:20", format: "jpg" }],
  ["saturation", { effect: "saturation:-50", format: "jpg" }],
  ["vibrance", { effect: "vibrance:30", format: "jpg" }],
  ["unsharp_mask", { effect: "unsharp_mask", format: "jpg" }],
  ["vignette", { effect: "vignette:40", format: "jpg" }],
  ["blackwhite", { effect: "blackwhite", format: "png" }],
  ["improve", { effect: "improve", format: "jpg" }],
  ["improve_indoor", { effect: "improve:indoor:50", format: "jpg" }],
  ["auto_brightness", { effect: "auto_brightness", format: "jpg" }],
  ["auto_contrast", { effect: "auto_contrast", format: "jpg" }],
  ["auto_color", { effect: "auto_color", format: "jpg" }],
  ["tint", { effect: "tint:50:blue", format: "jpg" }],
  ["colorize", { effect: "colorize:40", color: "#ff0000", format: "jpg" }],
  ["outline", { transformation: [fill100, { radius: "max" }, { effect: "outline:outer:4", color: "orange" }], format: "png" }],
  ["shadow", { transformation: [fill100, { effect: "shadow:50", x: 5, y: 5 }], format: "png" }],
  ["trim", { effect: "trim", format: "jpg" }],
  ["progressive", { ...fill100, flags: "progressive", format: "jpg" }],
  ["flag_list", { width: 100, flags: ["progressive", "strip_profile", "keep_iptc"], format: "jpg" }],
  ["lossy", { width: 100, flags: "lossy", format: "png" }],
  ["png8", { ...fill100, flags: "png8", format: "png" }],
  ["attachment", { width: 100, flags: "attachment", format: "jpg" }],
  ["immutable", { width: 100, flags: "immutable_cache", format: "jpg" }],
  ["ignore_ratio", { width: 100, crop: "scale", flags: "ignore_aspect_ratio", format: "jpg" }],
  ["default_ext", { width: 50, height: 50, crop: "fill", default_image: "avatar.png", format: "jpg" }],
  ["default_missing", { width: 50, height: 50, crop: "fill", default_image: "avatar.png", format: "jpg" }, true],
  ["identicon_missing", { width: 64, default_image: "identicon.png", format: "png" }, true],
  ["named", { transformation: "avatar_small", format: "jpg" }],
  ["named_builtin", { transformation: "fb_square", format: "jpg" }],
  ["format_png", { ...fill100, fetch_format: "png", format: "jpg" }],
  ["format_webp", { transformation: [fill100, { fetch_format: "webp" }] }],
  ["quality_80", { ...fill100, quality: 80, format: "jpg" }],
  ["quality_auto", { transformation: [fill100, { quality: "auto" }], format: "jpg" }],
  ["quality_auto_good", { transformation: [fill100, { quality: "auto:good" }], format: "jpg" }],
  ["format_auto", { transformation: [fill100, { fetch_format: "auto" }] }],
  ["format_quality_auto", { transformation: [{ ...fill100, gravity: "face" }, { radius: "max" }, { fetch_format: "auto" }, { quality: "auto:good" }] }],
  ["format_avif", { ...fill100, fetch_format: "avif" }],
  ["format_auto_safari13", { transformation: [fill100, { fetch_format: "auto" }] }],
];

// The cases with url-gen's actions: [name, (image) => image, extension, missing user].
const f100 = () => fill().width(100).height(100);
const genCases = [
  ["plain", (i) => i, "jpg"],
  ["plain_noext", (i) => i],
  ["width", (i) => i.resize(scale().width(100))],
  ["scale", (i) => i.resize(scale().width(200).height(100)), "jpg"],
  ["fraction", (i) => i.resize(scale().width(0.5)), "jpg"],
  ["fit", (i) => i.resize(fit().width(200).height(100)), "jpg"],
  ["limit", (i) => i.resize(limitFit().width(400).height(400)), "jpg"],
  ["mfit", (i) => i.resize(minimumFit().width(100).height(100)), "jpg"],
  ["fill", (i) => i.resize(fill().width(90).height(90)), "jpg"],
  ["fill_face", (i) => i.resize(fill().width(90).height(90).gravity(focusOn(face()))), "jpg"],
  ["fill_north", (i) => i.resize(fill().width(200).height(100).gravity(compass(north()))), "png"],
  ["lfill", (i) => i.resize(limitFill().width(2000).height(2000)), "jpg"],
  ["pad", (i) => i.resize(pad().width(200).height(100).background(bgColor("white"))), "jpg"],
  ["lpad", (i) => i.resize(limitPad().width(1200).height(1200)), "png"],
  ["mpad", (i) => i.resize(minimumPad().width(100).height(100)), "jpg"],
  ["crop", (i) => i.resize(crop().width(50).height(50)), "jpg"],
  ["crop_xy", (i) => i.resize(crop().width(60).height(50).x(10).y(20).gravity(compass(northWest()))), "jpg"],
  ["thumb_circle", (i) => i.resize(thumbnail().width(150).height(150).gravity(focusOn(face()))).roundCorners(max()), "png"],
  ["thumb_zoom", (i) => i.resize(thumbnail().width(100).height(100).gravity(focusOn(face())).zoom(0.7)), "jpg"],
  ["aspect", (i) => i.resize(fill().width(320).aspectRatio(ar16X9())), "jpg"],
  ["auto_crop", (i) => i.resize(autoCrop().width(100).height(100).gravity(autoGravity())), "jpg"],
  ["fill_pad", (i) => i.resize(fillPad().width(200).height(100).gravity(autoGravity()).background(bgAuto())), "jpg"],
  ["pad_auto", (i) => i.resize(pad().width(100).height(200).background(predominant())), "png"],
  ["dpr_component", (i) => i.resize(f100()).delivery(dpr(2)), "jpg"],
  ["dpr_auto_nohint", (i) => i.resize(f100()).delivery(dpr("auto")), "jpg"],
  ["dpr_auto_hint", (i) => i.resize(f100()).delivery(dpr("auto")), "jpg"],
  ["width_auto_dpr", (i) => i.resize(fill().width("auto").aspectRatio(1)).delivery(dpr("auto")), "jpg"],
  ["radius", (i) => i.roundCorners(byRadius(20)), "png"],
  ["circle_jpg", (i) => i.resize(f100()).roundCorners(max()), "jpg"],
  ["border", (i) => i.resize(f100()).border(solid(4, "black")), "jpg"],
  ["rotate_90", (i) => i.rotate(byAngle(90)), "jpg"],
  ["rotate_minus_20", (i) => i.rotate(byAngle(-20)), "png"],
  ["hflip", (i) => i.rotate(mode(horizontalFlip())), "jpg"],
  ["vflip", (i) => i.rotate(mode(verticalFlip())), "jpg"],
  ["ignore", (i) => i.rotate(mode(ignore())), "jpg"],
  ["grayscale", (i) => i.effect(Effect.grayscale()), "jpg"],
  ["sepia", (i) => i.effect(Effect.sepia(50)), "jpg"],
  ["blur", (i) => i.effect(Effect.blur(300)), "jpg"],
  ["pixelate", (i) => i.effect(Effect.pixelate(10)), "jpg"],
  ["sharpen", (i) => i.adjust(Adjust.sharpen()), "jpg"],
  ["negate", (i) => i.effect(Effect.negate()), "jpg"],
  ["brightness", (i) => i.adjust(Adjust.brightness(20)), "jpg"],
  ["contrast", (i) => i.adjust(Adjust.contrast(20)), "jpg"],
  ["saturation", (i) => i.adjust(Adjust.saturation(-50)), "jpg"],
  ["vibrance", (i) => i.adjust(Adjust.vibrance(30)), "jpg"],
  ["unsharp_mask", (i) => i.adjust(Adjust.unsharpMask()), "jpg"],
  ["vignette", (i) => i.effect(Effect.vignette(40)), "jpg"],
  ["blackwhite", (i) => i.effect(Effect.blackwhite()), "png"],
  ["improve", (i) => i.adjust(Adjust.improve()), "jpg"],
  ["improve_indoor", (i) => i.adjust(Adjust.improve().mode("indoor").blend(50)), "jpg"],
  ["auto_brightness", (i) => i.adjust(Adjust.autoBrightness()), "jpg"],
  ["auto_contrast", (i) => i.adjust(Adjust.autoContrast()), "jpg"],
  ["auto_color", (i) => i.adjust(Adjust.autoColor()), "jpg"],
  ["tint", (i) => i.adjust(Adjust.tint("50:blue")), "jpg"],
  ["colorize", (i) => i.effect(Effect.colorize(40).color("#ff0000")), "jpg"],
  ["outline", (i) => i.resize(f100()).roundCorners(max()).effect(Effect.outline().mode("outer").width(4).color("orange")), "png"],
  ["shadow", (i) => i.resize(f100()).effect(Effect.shadow(50).offsetX(5).offsetY(5)), "png"],
  ["trim", (i) => i.reshape(trim()), "jpg"],
  ["progressive", (i) => i.resize(f100()).addFlag(progressive()), "jpg"],
  ["flag_list", (i) => i.resize(scale().width(100)).addFlag(progressive()).addFlag(stripProfile()).addFlag(keepIptc()), "jpg"],
  ["lossy", (i) => i.resize(scale().width(100)).addFlag(lossy()), "png"],
  ["png8", (i) => i.resize(f100()).addFlag(png8()), "png"],
  ["attachment", (i) => i.resize(scale().width(100)).addFlag(attachment()), "jpg"],
  ["immutable", (i) => i.resize(scale().width(100)).addFlag(immutableCache()), "jpg"],
  ["ignore_ratio", (i) => i.resize(scale().width(100).aspectRatio(ignoreRatio())), "jpg"],
  ["default_ext", (i) => i.resize(fill().width(50).height(50)).delivery(defaultImage("avatar.png")), "jpg"],
  ["default_missing", (i) => i.resize(fill().width(50).height(50)).delivery(defaultImage("avatar.png")), "jpg", true],
  ["identicon_missing", (i) => i.resize(scale().width(64)).delivery(defaultImage("identicon.png")), "png", true],
  ["named", (i) => i.namedTransformation(named("avatar_small")), "jpg"],
  ["named_builtin", (i) => i.namedTransformation(named("fb_square")), "jpg"],
  ["format_png", (i) => i.resize(f100()).delivery(format(png())), "jpg"],
  ["format_webp", (i) => i.resize(f100()).delivery(format(webp()))],
  ["quality_80", (i) => i.resize(f100()).delivery(quality(80)), "jpg"],
  ["quality_auto", (i) => i.resize(f100()).delivery(quality(qAuto())), "jpg"],
  ["quality_auto_good", (i) => i.resize(f100()).delivery(quality(autoGood())), "jpg"],
  ["format_auto", (i) => i.resize(f100()).delivery(format(fAuto()))],
  ["format_quality_auto", (i) => i.resize(fill().width(100).height(100).gravity(focusOn(face()))).roundCorners(max()).delivery(format(fAuto())).delivery(quality(autoGood()))],
  ["format_avif", (i) => i.resize(f100()).delivery(format(avif()))],
  ["format_auto_safari13", (i) => i.resize(f100()).delivery(format(fAuto()))],
];

cloudinary.config({ cloud_name: cloud, api_key: "key", api_secret: secret, secure: true });

const out = [];
let n = 0;
for (const t of types) {
  for (const [name, options, missing] of nodeCases) {
    n++;
    const sign = n % 2 === 0;
    const privateCdn = n % 3 === 0;
    const o = { ...options, type: t.type, secure_distribution: host, private_cdn: privateCdn, sign_url: sign, long_url_signature: sign && n % 4 === 0 };
    out.push({ sdk: "cloudinary", case: name, type: t.type, url: cloudinary.url(missing ? t.missing : t.id, o) });
  }
  // The tag helpers: the URLs of an <img srcset> and of a <picture>'s sources.
  const urlsIn = (html) => [...html.matchAll(/https:\/\/[^' ]+/g)].map((m) => m[0]);
  const tag = cloudinary.image(t.id, { type: t.type, format: "jpg", crop: "fill", gravity: "face", width: 300, height: 300,
    srcset: { breakpoints: [100, 300] }, sizes: true, sign_url: true, secure_distribution: host });
  const srcset = urlsIn(tag).filter((u) => u.includes("c_scale"));
  out.push({ sdk: "cloudinary", case: "srcset_100", type: t.type, url: srcset.find((u) => u.includes("c_scale,w_100/")) });
  out.push({ sdk: "cloudinary", case: "srcset_300", type: t.type, url: srcset.find((u) => u.includes("c_scale,w_300/")) });
  const pic = urlsIn(cloudinary.picture(t.id, { type: t.type, format: "jpg", secure_distribution: host, sources: [
    { min_width: 1600, transformation: { crop: "fill", width: 800, height: 400 } },
    { max_width: 1599, transformation: { crop: "scale", width: 300 } }] }));
  out.push({ sdk: "cloudinary", case: "picture_wide", type: t.type, url: pic.find((u) => u.includes("c_fill")) });
  out.push({ sdk: "cloudinary", case: "picture_narrow", type: t.type, url: pic.find((u) => u.includes("c_scale")) });
  for (const [name, build, ext, missing] of genCases) {
    n++;
    const privateCdn = n % 2 === 0;
    const id = (missing ? t.missing : t.id) + (ext ? "." + ext : "");
    const img = new CloudinaryImage(id, { cloudName: cloud }, { secure: true, secureDistribution: host, privateCdn });
    img.setDeliveryType(t.type);
    build(img);
    out.push({ sdk: "url-gen", case: name, type: t.type, url: img.toURL() });
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
