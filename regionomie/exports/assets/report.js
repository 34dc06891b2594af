(function(){
var svg=document.getElementById('map');if(!svg)return;
var box=svg.parentNode,tip=document.getElementById('tip');
var b=svg.viewBox.baseVal,base={x:b.x,y:b.y,w:b.width,h:b.height},view={x:b.x,y:b.y,w:b.width,h:b.height};
var kmPerUnit=parseFloat(svg.getAttribute('data-km-per-unit'));
function apply(){svg.setAttribute('viewBox',view.x+' '+view.y+' '+view.w+' '+view.h);scale();}
function zoom(f,cx,cy){var w=Math.min(base.w,Math.max(base.w/40,view.w*f)),k=w/view.w;
view.x=cx-(cx-view.x)*k;view.y=cy-(cy-view.y)*k;view.w=w;view.h=view.h*k;apply();}
function centre(){return{x:view.x+view.w/2,y:view.y+view.h/2};}
function toSvg(e){var r=svg.getBoundingClientRect();
return{x:view.x+(e.clientX-r.left)/r.width*view.w,y:view.y+(e.clientY-r.top)/r.height*view.h};}
function scale(){var r=svg.getBoundingClientRect();if(!r.width)return;var ppu=r.width/view.w,
km=100/ppu*kmPerUnit,p=Math.pow(10,Math.floor(Math.log(km)/Math.LN10)),n=p;
[1,2,5,10].forEach(function(s){if(s*p<=km)n=s*p;});
var bar=document.getElementById('scale-bar'),lab=document.getElementById('scale-label');
bar.style.width=(n/kmPerUnit*ppu).toFixed(0)+'px';
lab.textContent=(n>=1?n.toLocaleString(document.documentElement.lang):n.toFixed(1))+' km';}
svg.addEventListener('wheel',function(e){e.preventDefault();var p=toSvg(e);
zoom(e.deltaY>0?1.25:0.8,p.x,p.y);},{passive:false});
var drag=null;
svg.addEventListener('pointerdown',function(e){drag={x:e.clientX,y:e.clientY,vx:view.x,vy:view.y,moved:false};
svg.classList.add('dragging');});
window.addEventListener('pointermove',function(e){if(!drag)return;var r=svg.getBoundingClientRect();
var dx=e.clientX-drag.x,dy=e.clientY-drag.y;if(Math.abs(dx)+Math.abs(dy)>3)drag.moved=true;
view.x=drag.vx-dx/r.width*view.w;view.y=drag.vy-dy/r.height*view.h;apply();});
window.addEventListener('pointerup',function(){drag=null;svg.classList.remove('dragging');});
document.getElementById('zoom-in').addEventListener('click',function(){var c=centre();zoom(0.7,c.x,c.y);});
document.getElementById('zoom-out').addEventListener('click',function(){var c=centre();zoom(1.4,c.x,c.y);});
document.getElementById('zoom-reset').addEventListener('click',function(){view={x:base.x,y:base.y,w:base.w,h:base.h};apply();});
function show(e){var t=e.target.closest?e.target.closest('[data-tip]'):null;
if(!t||drag){tip.style.display='none';return;}var text=t.getAttribute('data-tip');
if(t.classList.contains('mun')){var v=JSON.parse(t.getAttribute('data-values')||'{}'),k=current();
if(v[k])text+='\n'+v[k];}
tip.textContent=text;tip.style.display='block';var r=box.getBoundingClientRect();
var x=e.clientX-r.left+12,y=e.clientY-r.top+12;
if(x+tip.offsetWidth>r.width)x=Math.max(0,e.clientX-r.left-tip.offsetWidth-12);
tip.style.left=x+'px';tip.style.top=y+'px';}
svg.addEventListener('mousemove',show);svg.addEventListener('mouseleave',function(){tip.style.display='none';});
svg.addEventListener('click',function(e){if(!drag)show(e);});
Array.prototype.forEach.call(document.querySelectorAll('input[data-layer]'),function(box){
box.addEventListener('change',function(){var g=document.getElementById(box.getAttribute('data-layer'));
if(g)g.style.display=box.checked?'':'none';});});
var select=document.getElementById('shade');
function current(){return select?select.value:'';}
function colour(s){var stops=[[244,240,234],[241,180,143],[215,48,31],[127,0,0]];
if(isNaN(s))return'#eceff3';s=Math.max(0,Math.min(1,s))*3;var i=Math.min(2,Math.floor(s)),f=s-i,a=stops[i],c=stops[i+1];
return'rgb('+[0,1,2].map(function(j){return Math.round(a[j]+(c[j]-a[j])*f);}).join(',')+')';}
function shade(){var k=current();Array.prototype.forEach.call(svg.querySelectorAll('.mun'),function(p){
var s=JSON.parse(p.getAttribute('data-severity')||'{}');p.style.fill=colour(k in s?s[k]:NaN);});}
if(select){select.addEventListener('change',shade);}
shade();window.addEventListener('resize',scale);scale();
})();
