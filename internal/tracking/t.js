/* ecrm tracking snippet. Before a consent choice it stores nothing and sends only the path of each page view (a cookieless count). */
(function(w,d){"use strict";
var S=d.currentScript||d.querySelector("script[data-site]"),K=S&&S.getAttribute("data-site");if(!K||w.ecrm&&w.ecrm.v)return;
var B=new URL(S.src,location.href).origin,N=navigator,Q=[],I=null,T=0,F=null,E=null,
DNT=N.doNotTrack=="1"||w.doNotTrack=="1"||N.globalPrivacyControl===true,CK="ecrm_consent",VK="ecrm_vid",SK="ecrm_sid";
function ls(){try{return w.localStorage}catch(e){return null}}
function get(k){try{return JSON.parse(ls().getItem(k))}catch(e){return null}}
function put(k,v){try{ls().setItem(k,JSON.stringify(v))}catch(e){}}
function del(k){try{ls().removeItem(k)}catch(e){}}
function rnd(n){var a=new Uint8Array(n),s="",i;crypto.getRandomValues(a);for(i=0;i<n;i++)s+=(a[i]+256).toString(16).slice(1);return s}
var C=get(CK);
function ok(){return !!(C&&C.a&&!DNT)}
/* Identifiers exist only after consent: a 128-bit visitor id and a session id renewed after 30 minutes without activity. */
function ids(){if(!ok())return null;var v=get(VK),s=get(SK),n=Date.now();if(!v||!/^[0-9a-f]{32}$/.test(v)){v=rnd(16);put(VK,v)}
if(!s||!s.i||n-s.t>18e5)s={i:rnd(8)};s.t=n;put(SK,s);return[v,s.i]}
function wipe(){del(VK);del(SK);d.cookie.split(";").forEach(function(c){var k=c.split("=")[0].trim();if(k.indexOf("ecrm")==0)d.cookie=k+"=;max-age=0;path=/"})}
function send(){clearTimeout(T);T=0;while(Q.length||I){var id=ids(),e=Q.splice(0,25),b={e:e};if(id){b.v=id[0];b.s=id[1];if(I)b.id=I}I=null;
b.e=e.map(function(x){var y={},k;for(k in x)if(k!="c"&&k!="z")y[k]=x[k];if(x.c)y.a=Math.min(864e5,Date.now()-x.c);return y});if(!e.length&&!b.id)return;
var u=B+"/t/collect?k="+encodeURIComponent(K),s=JSON.stringify(b);
/* A busy or rate-limited server (503, 429) gets the events once more a few seconds later. 410: the person withdrew analytics consent (preference centre, staff) or was erased: forget the identifiers and stop, as after a withdrawal in the banner. */
try{fetch(u,{method:"POST",body:s,keepalive:true,credentials:"omit",mode:"cors"}).then(function(r){if(r.status==410){C={a:false,m:!!(C&&C.m),t:Date.now()};put(CK,C);wipe();Q=[]}if(r.status==503||r.status==429){e=e.filter(function(x){return !x.z&&(x.z=1)});if(e.length)setTimeout(function(){Q=e.concat(Q);send()},3e3)}})["catch"](function(){})}catch(x){N.sendBeacon&&N.sendBeacon(u,s)}}}
function q(x){Q.push(x);if(Q.length>=10)send();else if(!T)T=setTimeout(send,1e3)}
var last=null,ref=d.referrer;
function page(){var h=location.href;if(h==last)return;if(ok())q({n:"pageview",u:h,t:d.title,r:last||ref,c:Date.now()});else q({n:"pageview",u:location.pathname});last=h}
function ev(n,o,x){if(!ok())return;o=o||{};x=x||{};x.n=n;x.u=location.href;x.t=d.title;x.c=Date.now();if(o.props)x.p=o.props;if(o.sku)x.sku=""+o.sku;if(o.name)x.pn=""+o.name;
var v=o.value!=null?o.value:o.price;if(v!=null&&isFinite(v))x.val=+v;if(o.currency)x.cur=""+o.currency;q(x)}
var api={
page:page,
track:function(n,p){ev(n,{props:p})},
product:function(o){ev("product_view",o)},
cart:function(o){ev("add_to_cart",o,o&&o.quantity?{p:{quantity:o.quantity}}:0)},
checkout:function(o){ev("checkout",o)},
purchase:function(o){ev("purchase",o,o&&o.id?{p:{order:""+o.id}}:0)},
search:function(s){ev("search",{props:{q:(""+s).slice(0,200)}})},
/* Only a signed identify is sent: the shop's server signs the email with the site's identify secret. */
identify:function(o){if(ok()&&o&&o.email&&o.sig){I={email:""+o.email,sig:""+o.sig};send()}},
consent:function(o){send();var was=ok();C={a:!!(o&&o.analytics),m:!!(o&&o.marketing),t:Date.now()};put(CK,C);if(!ok())wipe();hide();if(ok()&&!was){last=null;page()}},
banner:function(){cfg(show)}};
function ecrm(c){var f=api[c];if(f)return f.apply(null,[].slice.call(arguments,1))}
ecrm.v=1;ecrm.visitorId=function(){var i=ids();return i&&i[0]};
ecrm.consent=function(){return C?{analytics:ok(),marketing:!!C.m}:null};
function cfg(f){if(F)return f();var l=(N.language||"").slice(0,2);
fetch(B+"/t/config?k="+encodeURIComponent(K)+"&l="+encodeURIComponent(l),{credentials:"omit"}).then(function(r){return r.json()}).then(function(c){F=c;f()})["catch"](function(){})}
function el(t,p,x){var e=d.createElement(t);if(x)e.textContent=x;if(p)p.appendChild(e);return e}
function hide(){if(E){E.remove();E=null}}
/* The banner: necessary (always on), analytics and marketing; buttons of equal weight; built with textContent only. */
function show(){if(!F||E)return;var t=F.text,c=F.color||"#1d4ed8",b=E=el("div",d.body||d.documentElement),i,ch={};b.setAttribute("role","dialog");b.setAttribute("aria-modal","false");
b.setAttribute("aria-label",t.title);b.dir=F.dir;b.lang=F.lang;b.id="ecrm-banner";
b.style.cssText="position:fixed;left:0;right:0;"+(F.position=="top"?"top:0":"bottom:0")+";z-index:2147483647;background:#fff;color:#111;border-top:3px solid "+c+";padding:1em;font:15px/1.4 system-ui,sans-serif;box-shadow:0 0 12px rgba(0,0,0,.25)";
el("strong",b,t.title);el("p",b,t.body);if(DNT)el("p",b,t.dnt).style.fontWeight="bold";
if(F.privacy_url){i=el("a",el("p",b),t.privacy);i.href=F.privacy_url;i.target="_blank";i.rel="noopener"}
var fs=el("fieldset",b);fs.style.cssText="border:0;padding:0;margin:.5em 0";
[["necessary",1],["analytics",0],["marketing",0]].forEach(function(k){var l=el("label",fs),x=el("input",l);x.type="checkbox";x.name=k[0];
x.checked=k[1]||!!(C&&(k[0]=="analytics"?C.a:C.m));x.disabled=!!k[1]||(DNT&&k[0]=="analytics");ch[k[0]]=x;el("span",l," "+t[k[0]]);l.style.marginInlineEnd="1.5em"});
var bs=el("div",b);function btn(x,f){var e=el("button",bs,x);e.type="button";e.style.cssText="margin:.5em .5em 0 0;padding:.5em 1em;border:2px solid "+c+";border-radius:4px;font:inherit;cursor:pointer;background:#fff;color:#111";e.onclick=f;return e}
var a=btn(t.accept,function(){api.consent({analytics:!DNT,marketing:true})}),r=btn(t.reject,function(){api.consent({})});[a,r].forEach(function(e){e.style.background=c;e.style.color="#fff"});
btn(t.save,function(){api.consent({analytics:ch.analytics.checked,marketing:ch.marketing.checked})});
b.onkeydown=function(e){if(e.key=="Escape")hide()};a.focus()}
var h=w.history;["pushState","replaceState"].forEach(function(m){var o=h[m];h[m]=function(){var r=o.apply(this,arguments);setTimeout(page,0);return r}});
w.addEventListener("popstate",function(){setTimeout(page,0)});
d.addEventListener("visibilitychange",function(){if(d.visibilityState=="hidden")send()});w.addEventListener("pagehide",send);
var pre=w.ecrm&&w.ecrm.q||[];w.ecrm=ecrm;page();pre.forEach(function(a){ecrm.apply(null,a)});
if(!C&&S.getAttribute("data-banner")!="off")cfg(function(){if(F.banner&&!C)show()})
})(window,document);
